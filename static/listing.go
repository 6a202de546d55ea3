package static

import (
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-go/wharf/api"
)

// list answers a directory with an HTML list of its entries, in name
// order, each name escaped for HTML and its link for a URL path. Dot files
// are left out unless Config.ServeDotFiles; so are devices, FIFOs and
// sockets, which the handler would not serve. A symbolic link is listed as
// a file: following it serves its target, or 404 if it leads out of Dir's
// root; telling which would cost a Stat per entry. Its preconditions are
// evaluated against no validator (see the package documentation).
func (h *Handler) list(w api.Response, r *api.Request, name string) error {
	entries, err := fs.ReadDir(h.fsys, name)
	if err != nil {
		return openError(err)
	}
	title := html.EscapeString(r.Path())
	var b strings.Builder
	b.WriteString("<!doctype html>\n<meta charset=\"utf-8\">\n<title>")
	b.WriteString(title)
	b.WriteString("</title>\n<h1>")
	b.WriteString(title)
	b.WriteString("</h1>\n<ul>\n")
	for _, e := range entries {
		n := e.Name()
		if !h.cfg.ServeDotFiles && strings.HasPrefix(n, ".") {
			continue
		}
		switch t := e.Type(); {
		case t.IsDir():
			n += "/"
		case t.IsRegular(), t&fs.ModeSymlink != 0: // a link answers for its target
		default:
			continue
		}
		// "./" keeps a name with a colon from reading as a URL scheme.
		href := "./" + (&url.URL{Path: n}).EscapedPath()
		b.WriteString(`<li><a href="`)
		b.WriteString(html.EscapeString(href))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(n))
		b.WriteString("</a></li>\n")
	}
	b.WriteString("</ul>\n")
	// A listing has no validator, but its preconditions still hold or
	// fail (RFC 9110 §13.2.1): "*" names any current representation, so
	// "If-None-Match: *" is a 304, and an entity-tag in If-Match, which
	// nothing here has, a 412. The dates have no modification time to
	// compare with and are ignored.
	const ctype = "text/html; charset=utf-8"
	switch evaluate(r, "", time.Time{}) {
	case preconditionFailed:
		return &api.StatusError{Code: http.StatusPreconditionFailed, Err: ErrPreconditionFailed}
	case notModified:
		// As a file's 304: a compressing filter in front learns the
		// 200 it stands for, to give it that 200's Vary.
		if d, ok := api.As[api.RepresentationDescriber](w); ok {
			d.DescribeRepresentation(ctype, int64(b.Len()), "")
		}
		return w.SetStatus(http.StatusNotModified)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", ctype)
	hdr.Set("Content-Length", strconv.Itoa(b.Len()))
	if r.Method() == http.MethodHead {
		return nil
	}
	_, err = w.WriteString(b.String())
	return err
}
