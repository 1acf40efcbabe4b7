package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// The templates and assets are compiled into the binary: the console needs
// no files beside it and no build step.
//
//go:embed templates assets
var files embed.FS

// pages holds each page's template: the shared layout and partials, cloned,
// with the page's own "content".
type pages struct {
	byName map[string]*template.Template
}

// mustParsePages parses every templates/*.html but the layout and partials
// as a page. now is the clock relative ages are computed against.
func mustParsePages(now func() time.Time) *pages {
	base := template.Must(template.New("layout.html").Funcs(funcs(now)).ParseFS(files,
		"templates/layout.html", "templates/partials.html"))
	entries, err := fs.ReadDir(files, "templates")
	if err != nil {
		panic(err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		p.byName[name] = template.Must(template.Must(base.Clone()).ParseFS(files, "templates/"+e.Name()))
	}
	return p
}

// flash is a one-time notice an action left for the next page.
type flash struct {
	Kind string // ok or error
	Text string
}

// view is what the layout renders; a page's own data is .Data.
type view struct {
	Title    string
	Operator service.Operator
	CSRF     string
	Flash    *flash
	Program  *banking.Program
	Sandbox  bool
	// Path is the page's path and query, for forms that come back to it.
	Path string
	Data any
}

// render writes a page: the whole page is rendered before anything is
// sent, so a template error is a clean 500, never half a page.
func (c *Console) render(w http.ResponseWriter, r *request, status int, tmpl, title string, data any) {
	t := c.pages.byName[tmpl]
	if t == nil {
		panic("console: no template " + tmpl)
	}
	v := view{Title: title, Operator: r.op, CSRF: r.csrf, Flash: r.flash, Program: r.program,
		Sandbox: c.sandbox, Path: r.URL.RequestURI(), Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console template", "template", tmpl, "err", err)
		if tmpl != "error" {
			c.errorPageFor(w, r, http.StatusInternalServerError, "Something went wrong",
				"The console could not show this page. The error is in the server's log.")
		}
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorView is the error page's data.
type errorView struct {
	Message string
}

// errorPageFor renders an error page within the operator's session (the
// navigation stays).
func (c *Console) errorPageFor(w http.ResponseWriter, r *request, status int, title, msg string) {
	c.render(w, r, status, "error", title, errorView{Message: msg})
}

// errorPage renders an error page outside any session.
func (c *Console) errorPage(w http.ResponseWriter, hr *http.Request, status int, title, msg string) {
	c.errorPageFor(w, &request{Request: hr, c: c}, status, title, msg)
}

// notFound answers any console path no route has: 404 for a signed-in
// operator, the sign-in page for anyone else (as every page does, so a
// stranger learns nothing of which paths exist).
func (c *Console) notFound(w http.ResponseWriter, hr *http.Request) {
	r, ok := c.authenticate(w, hr)
	if !ok {
		return
	}
	c.errorPageFor(w, r, http.StatusNotFound, "Not found", "The console has no page at this address.")
}

// assetVersion is a digest of the assets, appended to their URLs so a
// browser caches them for long and still sees a new binary's at once.
var assetVersion = func() string {
	h := sha256.New()
	fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(files, p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// assetURL is an embedded asset's URL.
func assetURL(name string) string { return Prefix + "assets/" + name + "?v=" + assetVersion }

// serveAsset serves an embedded asset. Assets need no session: the
// sign-in page uses them, and they hold nothing private.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(files, "assets/"+name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}
