package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestForbidden(t *testing.T) {
	for _, c := range []struct {
		addr, want string
	}{
		{"127.0.0.1", "loopback"},
		{"127.9.9.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.254", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "private"},
		{"fd00::1", "private"},
		{"fec0::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"224.0.0.1", "link-local"},
		{"239.1.1.1", "multicast"},
		{"ff02::1", "link-local"},
		{"ff0e::1", "multicast"},
		{"255.255.255.255", "multicast"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"64:ff9b::7f00:1", "loopback"},
		{"64:ff9b::a00:1", "private"},
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"172.32.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::808:808", ""},
	} {
		if got := Forbidden(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Forbidden(%s) = %q, want %q", c.addr, got, c.want)
		}
	}
}

// fakeDNS resolves names from a table; a name may change its answer, as a
// rebinding attacker's does.
type fakeDNS struct{ table map[string][]string }

func (f *fakeDNS) resolve(_ context.Context, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range f.table[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, errors.New("no such host")
	}
	return out, nil
}

func TestCheckURL(t *testing.T) {
	dns := &fakeDNS{table: map[string][]string{
		"public.example": {"93.184.216.34"},
		"inside.example": {"127.0.0.1"},
		"mixed.example":  {"93.184.216.34", "10.1.2.3"},
	}}
	g := &Guard{Resolve: dns.resolve}
	for _, c := range []struct {
		url  string
		want string // substring of the error; "" for none
	}{
		{"https://public.example/hooks", ""},
		{"http://public.example:8080/h?x=1", ""},
		{"http://93.184.216.34/", ""},
		{"http://127.0.0.1:9000/", "loopback"},
		{"http://10.1.2.3/", "private"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://[::1]:8080/", "loopback"},
		{"http://inside.example/", "resolves to 127.0.0.1, a loopback"},
		{"http://mixed.example/", "private"},
		{"http://nowhere.example/", "does not resolve"},
		{"ftp://public.example/", "http or https"},
		{"public.example/hooks", "http or https"},
		{"https:///nohost", "http or https"},
		{"https://public.example/" + strings.Repeat("a", MaxURL), "at most"},
	} {
		err := g.CheckURL(context.Background(), c.url)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want accepted", c.url, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error saying %q", c.url, err, c.want)
		}
	}
	open := &Guard{AllowPrivate: true, Resolve: dns.resolve}
	for _, u := range []string{"http://127.0.0.1:9000/", "http://inside.example/", "http://[::1]/", "http://nowhere.example/"} {
		if err := open.CheckURL(context.Background(), u); err != nil {
			t.Errorf("allowing private addresses, %s: %v", u, err)
		}
	}
}

// TestRebindingIsCaughtAtTheAttempt: a name that resolved to a public
// address when the URL was set and resolves to a loopback one at delivery
// time reaches nothing; the loopback receiver never sees a request.
func TestRebindingIsCaughtAtTheAttempt(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	dns := &fakeDNS{table: map[string][]string{"rebind.example": {"93.184.216.34"}}}
	g := &Guard{Resolve: dns.resolve}
	url := "http://rebind.example:" + port + "/hook"
	if err := g.CheckURL(context.Background(), url); err != nil {
		t.Fatalf("set time: %v", err)
	}
	dns.table["rebind.example"] = []string{"127.0.0.1"}
	r := NewSender(g).Send(context.Background(), url, NewEventID(time.Now()), []byte(`{}`), [][]byte{NewSecret()}, time.Now())
	if r.Delivered || r.StatusCode != 0 || !strings.Contains(r.Error, "loopback") {
		t.Errorf("attempt = %+v, want refused as loopback", r)
	}
	if hits.Load() != 0 {
		t.Errorf("the loopback receiver got %d requests, want 0", hits.Load())
	}
	// The same attempt allowed to reach private addresses gets through:
	// the refusal above was the guard's.
	r = NewSender(&Guard{AllowPrivate: true, Resolve: dns.resolve}).Send(context.Background(), url, NewEventID(time.Now()), []byte(`{}`),
		[][]byte{NewSecret()}, time.Now())
	if !r.Delivered || hits.Load() != 1 {
		t.Errorf("allowed: %+v, %d hits; want delivered once", r, hits.Load())
	}
}

// TestAttemptRefusesLiteralAddresses: an address given in the URL itself is
// checked at the attempt too (a URL stored before the rules, or set through
// a path that skipped them).
func TestAttemptRefusesLiteralAddresses(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	s := NewSender(&Guard{})
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "[::ffff:127.0.0.1]", 1), strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		r := s.Send(context.Background(), u, NewEventID(time.Now()), []byte(`{}`), [][]byte{NewSecret()}, time.Now())
		if r.Delivered || !strings.HasPrefix(r.Error, "refused: forbidden address") {
			t.Errorf("%s: %+v, want refused", u, r)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("receiver got %d requests, want 0", hits.Load())
	}
}
