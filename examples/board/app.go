package main

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/auth"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/csrf"
	"github.com/wharf-go/wharf/filters/header"
	"github.com/wharf-go/wharf/session"
	"github.com/wharf-go/wharf/sse"
	"github.com/wharf-go/wharf/static"
)

// web is the page and its assets, laid out as they are served:
// index.html, static/app.js and static/style.css.
//
//go:embed web
var web embed.FS

// app is one board instance: its posts, where its attachments live, and
// the session store it shares with other instances (or not).
type app struct {
	board    *board
	dir      string          // the attachments directory
	files    *static.Handler // serves dir
	sessions session.Store
	events   *sse.Broker // GET /events
	log      *slog.Logger
}

// Caching. The page and its assets are revalidated on every use, a
// round trip that their ETags make a 304, so a new version shows at once.
// An attachment's name is never given to another file, so a browser may
// keep one as long as it likes.
const (
	siteCacheControl       = "no-cache"
	attachmentCacheControl = "private, max-age=31536000, immutable"
)

// sitePolicy is the Content-Security-Policy of everything the board
// serves but attachments.
const sitePolicy = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// newContainer builds the board's container: the page and assets, the
// login, the JSON API under /api and the attachments.
func (a *app) newContainer(opts ...container.Option) (*container.Container, error) {
	site, err := fs.Sub(web, "web")
	if err != nil {
		return nil, err
	}
	c := container.New(opts...)

	// The filters, outermost first. The page's own policy: its script and
	// style come from its origin only (it has no inline ones), no plugin,
	// no <base>, forms post to the board and no other site frames it; no
	// type is guessed, and no address leaves for another site in a
	// Referer. Cross-origin refusal comes before a session is even looked
	// at: a forged request is refused whatever cookie it carries, the
	// login's POST included.
	c.Filter("/*", header.New(header.Config{Set: map[string]string{
		"Content-Security-Policy": sitePolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	}}))
	c.Filter("/*", csrf.New(csrf.Config{}))
	c.Filter("/*", session.New(session.Config{Store: a.sessions}))
	c.Filter("/*", auth.FormLogin(auth.FormConfig{Check: checkLogin}))
	loggedIn := auth.Required(auth.RequiredConfig{})
	// On the routes that need a user, and no others: a method a path does
	// not have is a 405 (and a path the API does not have a 404) for
	// anyone, logged in or not.
	c.Filter("GET /api/me", loggedIn)
	c.Filter("POST /api/posts", loggedIn)
	c.Filter("DELETE /api/posts/{id}", loggedIn)
	c.Filter("POST /api/posts/{id}/attachments", loggedIn)
	// Uploaded files are the users' content, served from the page's
	// origin: a browser that follows an attachment's link saves the file
	// rather than render it there, where an uploaded HTML page or SVG
	// image would show whatever it likes under the board's address (a
	// form asking for the password, say); should one render it anyway, a
	// sandbox keeps it from running script (nosniff, set above, keeps a
	// browser from guessing a type into one). The page's links download
	// too.
	c.Filter("/attachments/*", header.New(header.Config{Set: map[string]string{
		"Content-Security-Policy": "sandbox",
		"Content-Disposition":     "attachment",
	}}))

	// The default mapping: "/" is the page (and /index.html, as static
	// serves an index at its own name too), /static/... its assets, and
	// any other path a 404.
	c.Handle("GET /", static.New(site, static.Config{CacheControl: siteCacheControl}))
	c.Handle("GET /attachments/*", a.files)

	c.HandleFunc("POST /login", answeredByFormLogin)
	c.HandleFunc("POST /logout", answeredByFormLogin)

	c.HandleFunc("GET /api/me", a.me)
	c.HandleFunc("GET /api/posts", a.listPosts)
	c.HandleFunc("POST /api/posts", a.createPost)
	c.HandleFunc("GET /api/posts/{id}", a.getPost)
	c.HandleFunc("DELETE /api/posts/{id}", a.deletePost)
	c.HandleFunc("POST /api/posts/{id}/attachments", a.upload)
	// Posts are public, as GET /api/posts is: anyone may follow them.
	c.Handle("GET /events", a.events.Handler(postsTopic))

	// Every failure, whatever its error, is answered by one page.
	container.ErrorPageAs[error](c.Root(), api.HandlerFunc(a.errorPage))
	return c, nil
}

// errorPage answers a failed request with the cause of a client error and
// only the status text of a server error, whose cause is logged instead:
// as {"error": "..."} under /api, for the page's script to show, and as
// plain text elsewhere.
func (a *app) errorPage(w api.Response, r *api.Request) error {
	err := container.ErrorOf(r)
	status := w.Status()
	msg := http.StatusText(status)
	var se *api.StatusError
	switch {
	case status >= 500, errors.Is(err, static.ErrNotFound):
		// static refuses hidden names with the same 404: say no more.
	case errors.Is(err, auth.ErrNoCredentials):
		msg = "log in first"
	case errors.Is(err, auth.ErrBadCredentials):
		msg = "wrong user name or password"
	case errors.Is(err, csrf.ErrCrossOrigin):
		msg = "refused: a request from another site"
	case errors.As(err, &se) && se.Err != nil:
		msg = se.Err.Error()
	}
	if status >= 500 {
		a.log.Error("board: request failed", "method", r.Method(), "path", r.Path(), "err", err)
	}
	if !strings.HasPrefix(r.Path(), "/api/") {
		api.SetContentType(w, "text/plain; charset=utf-8")
		_, err := w.WriteString(strconv.Itoa(status) + " " + msg + "\n")
		return err
	}
	return writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w api.Response, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := w.SetStatus(status); err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
