package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// The guard keeps deliveries off the server's own networks (webhooks.md
// section 1): outside the sandbox, a URL whose host resolves to a loopback,
// private, link-local, multicast or unspecified address is refused when it
// is set, and every attempt resolves the host again and connects only to
// the addresses it has just checked, so a name that later resolves inside
// (DNS rebinding) reaches nothing. Redirects are never followed (Sender).

// MaxURL bounds a webhook URL's length.
const MaxURL = 2048

// Guard checks webhook URLs and dials deliveries. The zero value refuses
// private addresses and resolves with the system resolver.
type Guard struct {
	// AllowPrivate lets URLs reach any address (the sandbox, and
	// --webhook-allow-private).
	AllowPrivate bool
	// Resolve looks up a host's addresses; nil means the system resolver.
	// Tests replace it to play DNS rebinding.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// ErrForbiddenAddress is the error of a URL or attempt that would reach a
// refused address.
var ErrForbiddenAddress = errors.New("forbidden address")

// CheckURL validates a webhook URL as it is set: http or https, a host,
// at most MaxURL bytes, and, unless AllowPrivate, a host that resolves
// only to public addresses. The error says what is wrong, for the 400.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := ParseURL(raw)
	if err != nil {
		return err
	}
	if g.AllowPrivate {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = g.resolve(ctx, u.Hostname())
	return err
}

// ParseURL checks a webhook URL's form (not its addresses).
func ParseURL(raw string) (*url.URL, error) {
	if len(raw) > MaxURL {
		return nil, fmt.Errorf("must be at most %d characters", MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return nil, errors.New("must be an http or https URL with a host")
	}
	return u, nil
}

// resolve returns host's addresses, refusing the host when any of them is
// forbidden (unless AllowPrivate).
func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lookup := g.Resolve
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		if addrs, err = lookup(ctx, host); err != nil {
			return nil, fmt.Errorf("host %s does not resolve: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("host %s has no address", host)
		}
	}
	if !g.AllowPrivate {
		for _, a := range addrs {
			if why := Forbidden(a); why != "" {
				return nil, fmt.Errorf("%w: host %s resolves to %s, a %s address", ErrForbiddenAddress, host, a.Unmap(), why)
			}
		}
	}
	return addrs, nil
}

// DialContext connects to addr (host:port) for one attempt: it resolves the
// host, refuses it if any address is forbidden, and connects to the
// addresses it checked, in order, never resolving again.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !g.AllowPrivate {
		// The last word: whatever is dialled is checked as the socket
		// connects.
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if why := Forbidden(ap.Addr()); why != "" {
				return fmt.Errorf("%w: %s is a %s address", ErrForbiddenAddress, ap.Addr(), why)
			}
			return nil
		}
	}
	var first error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// Prefixes refused besides what netip classifies.
var (
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598, carrier-grade NAT
	thisNetwork        = netip.MustParsePrefix("0.0.0.0/8")     // RFC 1122: "this host on this network"
	siteLocal          = netip.MustParsePrefix("fec0::/10")     // RFC 3879, deprecated private
	nat64              = netip.MustParsePrefix("64:ff9b::/96")  // RFC 6052: an IPv4 address inside
	broadcast          = netip.MustParseAddr("255.255.255.255")
)

// Forbidden says which kind of refused address a is ("loopback",
// "private", "link-local", "multicast", "unspecified"), or "" for a public
// one. IPv4-mapped and NAT64 IPv6 addresses are judged by their IPv4
// address.
func Forbidden(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() && nat64.Contains(a) {
		b := a.As16()
		return Forbidden(netip.AddrFrom4([4]byte(b[12:16])))
	}
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsUnspecified() || thisNetwork.Contains(a):
		return "unspecified"
	case a.IsPrivate() || sharedAddressSpace.Contains(a) || siteLocal.Contains(a):
		return "private"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast() || a == broadcast:
		return "multicast"
	}
	return ""
}
