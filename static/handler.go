package static

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/wharf-go/wharf/api"
)

// Handler serves the files of a file system; it is an api.Handler. Build
// one with New or Dir; it is immutable afterwards, and any number of
// goroutines may call Serve at once.
type Handler struct {
	fsys   fs.FS
	cfg    Config
	root   *os.Root // Dir's, closed by Close; nil for New
	hashes sync.Map // name → *hashed: the ETags of files without a ModTime
}

var _ api.ReadOnlyHandler = (*Handler)(nil)

// ReadOnly marks h as an api.ReadOnlyHandler: given directly as an error
// page, it serves the failure of a POST as a GET, where it would answer
// 405.
func (h *Handler) ReadOnly() {}

// New returns a Handler serving the files of root. It serves whatever
// root's Open gives: os.DirFS follows symbolic links out of its directory,
// so serve an operating-system directory with Dir. Any goroutine may call
// New.
func New(root fs.FS, cfg Config) *Handler {
	if root == nil {
		panic("static: New with a nil fs.FS")
	}
	return &Handler{fsys: root, cfg: cfg.settled()}
}

// Dir returns a Handler serving the operating-system directory path,
// opened as an os.Root: no name, and no symbolic link, can lead out of it
// (a link that does is answered 404). The directory stays open until
// Close. Any goroutine may call Dir.
func Dir(path string, cfg Config) (*Handler, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	return &Handler{fsys: root.FS(), cfg: cfg.settled(), root: root}, nil
}

// Close closes the directory Dir opened; requests served afterwards fail.
// For a Handler made by New it does nothing. Call it once the container no
// longer serves the handler (after Shutdown), from any goroutine.
func (h *Handler) Close() error {
	if h.root == nil {
		return nil
	}
	return h.root.Close()
}

// Serve answers a GET or HEAD for the file the request's path names within
// its mapping (see the package documentation). Refusals are returned as
// api.StatusErrors (404, 405, 412) for the container's error pages; 301,
// 304 and 416 are answered here. The container calls it, on the
// request's goroutine.
func (h *Handler) Serve(w api.Response, r *api.Request) error {
	if m := r.Method(); m != http.MethodGet && m != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return &api.StatusError{Code: http.StatusMethodNotAllowed, Err: ErrMethodNotAllowed}
	}
	name, slash, ok := h.name(resourcePath(r))
	if !ok {
		return notFound
	}
	info, err := fs.Stat(h.fsys, name)
	if err != nil {
		return openError(err)
	}
	switch {
	case info.IsDir():
		// A context's own path ("/site", for a context at "/site") is
		// mapped as "/" within the context: a slash the request lacks.
		// Its index is redirected as every directory's is, or the page's
		// relative links would resolve against the parent.
		if !slash || !strings.HasSuffix(r.Path(), "/") {
			return redirectToDir(w, r)
		}
		return h.serveDir(w, r, name)
	case slash || !info.Mode().IsRegular():
		return notFound
	}
	return h.serveFile(w, r, name, info)
}

// ServeFile answers r with the file name of h's file system, whatever r's
// path, as Serve answers for the file a path names, with every rule of
// the package: conditionals, ranges, precompressed siblings, content
// type, Cache-Control, sendfile, and the name rules (no dot files unless
// Config.ServeDotFiles, no name that climbs out). It is net/http's
// http.ServeFile for a file the handler chose: a download by ID, a share
// link, a per-user file under a name of its own,
//
//	c.HandleFunc("GET /files/{id}", func(w api.Response, r *api.Request) error {
//		f, err := lookup(r, r.PathParam("id")) // the caller's, who may see it
//		if err != nil {
//			return err
//		}
//		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
//		return files.ServeFile(w, r, f.Path)
//	})
//
// name is slash-separated, as fs.FS names are, with or without a leading
// slash ("a/b.css", "/a/b.css"). A Content-Type set on w before is kept
// (the type the caller's table records for the file), as net/http's
// ServeContent keeps one, and one set to nil sends none. A name that is
// not a regular file (a directory included: no index, no listing, no
// redirect), or that the rules refuse, is a 404 *api.StatusError
// wrapping ErrNotFound, and a method other than GET and HEAD a 405, as
// from Serve, but from an error page (the response's status is the
// error's already), which serves the file for the failure of a request
// of any method, as the container serves a Handler given as the page;
// the caller checks that the client may have the file. Goroutines: as Serve, from the
// request's serialized task.
func (h *Handler) ServeFile(w api.Response, r *api.Request, name string) error {
	// An error page's request keeps the method that failed, and its
	// status is set already: the file is the page, for a POST's failure
	// too, as the container serves a Handler given as the page.
	if m := r.Method(); m != http.MethodGet && m != http.MethodHead && w.Status() == http.StatusOK {
		w.Header().Set("Allow", "GET, HEAD")
		return &api.StatusError{Code: http.StatusMethodNotAllowed, Err: ErrMethodNotAllowed}
	}
	name, slash, ok := h.name("/" + strings.TrimPrefix(name, "/"))
	if !ok || slash || name == "." {
		return notFound
	}
	info, err := fs.Stat(h.fsys, name)
	if err != nil {
		return openError(err)
	}
	if !info.Mode().IsRegular() {
		return notFound
	}
	return h.serveFile(w, r, name, info)
}

// notFound is the one 404 answer: refusals look like missing files.
var notFound = &api.StatusError{Code: http.StatusNotFound, Err: ErrNotFound}

// resourcePath returns the path the request names within its mapping,
// starting with '/' (or "" for a prefix pattern's own path, "/static" for
// "/static/*").
func resourcePath(r *api.Request) string {
	m := r.Mapping()
	switch m.Kind {
	case api.MatchNone: // not mapped: a handler called directly
		return r.Path()
	case api.MatchPrefix:
		return m.PathInfo
	}
	return m.PathInContext()
}

// name turns a request path into a name for fs.FS ("a/b.css", "." for the
// root), reporting whether the path ended in '/', and false for a path
// that no file may have (see the package documentation).
func (h *Handler) name(p string) (name string, slash, ok bool) {
	// "" is a prefix pattern's own path ("/static" for "/static/*"):
	// the root, without its slash.
	slash = strings.HasSuffix(p, "/")
	name = strings.TrimPrefix(p, "/")
	name = strings.TrimSuffix(name, "/")
	if name == "" {
		return ".", slash, true
	}
	if strings.ContainsAny(name, "\\\x00") || !fs.ValidPath(name) {
		return "", false, false
	}
	if !h.cfg.ServeDotFiles && hidden(name) {
		return "", false, false
	}
	return name, slash, true
}

// hidden reports whether a segment of name starts with '.'.
func hidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.Contains(name, "/.")
}

// openError answers a failed Stat or Open: 404 for what a client may not
// tell from a missing file, the error itself (500) for a failure of the
// server.
func openError(err error) error {
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrInvalid):
		return notFound
	case errors.As(err, &errno):
		switch errno {
		case syscall.ENOTDIR, syscall.ELOOP, syscall.ENAMETOOLONG:
			return notFound
		}
		return fmt.Errorf("static: %w", err)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		// Not a system call's failure but the file system's verdict on
		// the name: os.Root's "path escapes from parent" for a link out
		// of the root, or an fs.FS's own refusal.
		return notFound
	}
	return fmt.Errorf("static: %w", err)
}

// redirectToDir answers 301 to the path with a trailing slash, keeping the
// query.
func redirectToDir(w api.Response, r *api.Request) error {
	loc := (&url.URL{Path: r.Path() + "/"}).EscapedPath()
	if q := r.RawQuery(); q != "" {
		loc += "?" + q
	}
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Length", "0")
	return w.SetStatus(http.StatusMovedPermanently)
}

// serveDir serves a directory's index file, or its listing, or 404.
func (h *Handler) serveDir(w api.Response, r *api.Request, name string) error {
	for _, index := range h.cfg.IndexNames {
		p := index
		if name != "." {
			p = name + "/" + index
		}
		if info, err := fs.Stat(h.fsys, p); err == nil && info.Mode().IsRegular() {
			return h.serveFile(w, r, p, info)
		}
	}
	if h.cfg.Listing {
		return h.list(w, r, name)
	}
	return notFound
}
