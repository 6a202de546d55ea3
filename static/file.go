package static

import (
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/wharf-go/wharf/api"
)

// representation is the file chosen to answer a request for a name: the
// file itself or a precompressed sibling.
type representation struct {
	f      fs.File
	info   fs.FileInfo
	name   string // the file opened: name, or name+".br"
	coding string // its Content-Encoding, "" for the file itself
	vary   bool   // the name has a sibling: the answer depends on Accept-Encoding
}

// serveFile answers for the regular file name, which Stat described as
// info: conditionals, ranges, body.
func (h *Handler) serveFile(w api.Response, r *api.Request, name string, info fs.FileInfo) (err error) {
	rep, err := h.open(r, name, info)
	if err != nil {
		return err
	}
	// The body's sender may keep the file (see sendRange); until it says
	// so, the file is closed when the answer is done.
	owned := false
	defer func() {
		if !owned {
			rep.f.Close()
		}
	}()

	hdr := w.Header()
	// A Content-Type set before (by the handler that calls ServeFile, or
	// a filter in front) is the file's, as net/http's ServeContent keeps
	// one: the type an upload table recorded for a file stored under an
	// ID. Set to nil, it says no type and no sniffing.
	preset, typed := hdr["Content-Type"]
	if rep.vary {
		addVary(hdr, "Accept-Encoding")
	}
	etag, err := h.etag(rep)
	if err != nil {
		return err
	}
	mod := rep.info.ModTime()
	if now := time.Now(); mod.After(now) {
		// RFC 9110 §8.8.2.1: a modification time past the server's clock
		// (a clock set wrong, a tree unpacked from elsewhere) is sent as
		// the time of the answer, or a client that revalidates with it
		// would be told 304 for the file rewritten before that date.
		mod = now
	}
	// A status set before the handler ran is an error page's: the file is
	// the page of a failure (the status already the error's), answered at
	// the URL that failed. Its Cache-Control, and its Last-Modified, from
	// which caches compute a heuristic freshness for a 404 or 410 (RFC
	// 9111 §4.2.2), would keep the error for that URL, past the deploy
	// that ends it.
	errorPage := w.Status() != http.StatusOK
	hdr.Set("Etag", etag)
	if !isZeroTime(mod) && !errorPage {
		hdr.Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	}
	// Cache-Control goes with 200, 206 and 304 only: on a 412 or 416 a
	// long max-age would let a shared cache keep the refusal (RFC 9111 §3)
	// and serve it for the file to everyone.
	cc := ""
	if !errorPage {
		cc = h.cacheControl(name)
	}
	// Nor do the request's preconditions and Range apply to an error
	// page: they are about the 200 the request asked for, and a 304, 412,
	// 206 or 416 would replace the error (RFC 9110 §13.2.1: preconditions
	// are ignored where the answer would not be 2xx). A client that
	// revalidates a file deleted since it cached it would be told 304 and
	// keep the deleted file. The container takes them off the request of
	// its own error pages; a handler that set the status and forwarded
	// here keeps them on its request.
	outcome := proceed
	if !errorPage {
		outcome = evaluate(r, etag, mod)
	}
	switch outcome {
	case preconditionFailed:
		return &api.StatusError{Code: http.StatusPreconditionFailed, Err: ErrPreconditionFailed}
	case notModified:
		// RFC 9110 §15.4.5: the validators and caching fields stay;
		// Last-Modified is left out beside an ETag, as net/http does.
		hdr.Del("Last-Modified")
		hdr.Del("Content-Type") // the handler's too: a 304 has none
		setCacheControl(hdr, cc)
		// A compressing filter in front needs the type and length the
		// 200 would have had, to give the 304 its ETag and Vary; the
		// 304 itself carries neither, as net/http's. Without such a
		// filter the type, perhaps a sniff, is not looked for.
		if d, ok := api.As[api.RepresentationDescriber](w); ok {
			ctype, err := h.contentType(rep, name, preset, typed)
			if err != nil {
				return err
			}
			d.DescribeRepresentation(ctype, rep.info.Size(), rep.coding)
		}
		return w.SetStatus(http.StatusNotModified)
	}

	ctype, err := h.contentType(rep, name, preset, typed)
	if err != nil {
		return err
	}
	if !typed {
		hdr.Set("Content-Type", ctype)
	}
	if rep.coding != "" {
		hdr.Set("Content-Encoding", rep.coding)
	}
	size := rep.info.Size()
	if h.cfg.MaxRanges < 0 {
		hdr.Set("Accept-Ranges", "none")
	} else if !errorPage {
		hdr.Set("Accept-Ranges", "bytes")
		var done bool
		if done, owned, err = h.serveRanges(w, r, rep, ctype, etag, cc, mod, size); done {
			return err
		}
	}
	setCacheControl(hdr, cc)
	owned, err = sendRange(w, r, rep.f, 0, size)
	return err
}

// open opens the file to serve for name, which Stat described as orig: a
// precompressed sibling if the client accepts one and it is not stale,
// else name itself.
func (h *Handler) open(r *api.Request, name string, orig fs.FileInfo) (representation, error) {
	rep := representation{name: name}
	accept := r.Header().Values("Accept-Encoding")
	if !h.cfg.DisablePrecompressed && len(accept) == 0 {
		// Nothing but the file itself can answer, so the siblings are
		// not looked for (two system calls a request, for the clients
		// that send no Accept-Encoding: tools, APIs, load generators).
		// Whether one exists is not known, so Vary is sent as if it
		// did: an unneeded Vary costs a cache nothing but a key, a
		// missing one could serve an encoding to who cannot read it.
		rep.vary = true
	} else if !h.cfg.DisablePrecompressed {
		var have [len(codings)]bool
		for i, c := range codings {
			if info, err := fs.Stat(h.fsys, name+c.ext); err == nil && info.Mode().IsRegular() {
				// A stale sibling still makes the answer vary: it is
				// there, and once rebuilt it answers again, so the
				// resource's Vary stays the same meanwhile.
				have[i], rep.vary = !stale(info, orig), true
			}
		}
		if rep.vary {
			if i := negotiate(accept, have); i >= 0 {
				if f, info, err := openRegular(h.fsys, name+codings[i].ext); err == nil {
					if !stale(info, orig) {
						rep.f, rep.info = f, info
						rep.name, rep.coding = name+codings[i].ext, codings[i].coding
						return rep, nil
					}
					f.Close() // replaced by an older file since the Stat
				}
				// The sibling went away, or was replaced by a stale one,
				// between Stat and Open: the file itself still answers.
			}
		}
	}
	f, info, err := openRegular(h.fsys, name)
	if err != nil {
		return rep, err
	}
	rep.f, rep.info = f, info
	return rep, nil
}

// stale reports whether the precompressed sibling described by sib is
// older than the file it compresses, described by orig: the file was
// edited and the sibling not rebuilt, so it holds the old content, which
// must not be served for the new (as Jetty's ResourceService serves a
// precompressed variant only if it is not older than the resource). Where
// either time is unknown (embed.FS has none) nothing tells, and the
// sibling is taken to be built from the file, as before times were
// compared.
func stale(sib, orig fs.FileInfo) bool {
	sm, om := sib.ModTime(), orig.ModTime()
	return !isZeroTime(sm) && !isZeroTime(om) && sm.Before(om)
}

// openRegular opens name and checks, on the open file, that it is a
// regular file: what Stat saw may have been replaced since.
func openRegular(fsys fs.FS, name string) (fs.File, fs.FileInfo, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, openError(err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, openError(err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, notFound
	}
	return f, info, nil
}

// cacheControl returns the Cache-Control field for name, "" for none.
func (h *Handler) cacheControl(name string) string {
	if h.cfg.CacheControlFunc != nil {
		return h.cfg.CacheControlFunc(name)
	}
	return h.cfg.CacheControl
}

// setCacheControl sets the Cache-Control field to cc, unless cc is "".
func setCacheControl(hdr http.Header, cc string) {
	if cc != "" {
		hdr.Set("Cache-Control", cc)
	}
}

// sniffLen is how much http.DetectContentType looks at.
const sniffLen = 512

// contentType returns name's media type: the one set before the handler
// served it (preset, if typed: "" for a nil value), else by extension,
// else sniffed from the start of the file itself (not of a compressed
// sibling).
func (h *Handler) contentType(rep representation, name string, preset []string, typed bool) (string, error) {
	if typed {
		if len(preset) == 0 {
			return "", nil
		}
		return preset[0], nil
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t, nil
	}
	f := rep.f
	if rep.coding != "" || !randomAccess(f) { // sniff the file itself, from its start
		var err error
		if f, _, err = openRegular(h.fsys, name); err != nil {
			return "", err
		}
		defer f.Close()
	}
	buf := getBuffer()
	defer putBuffer(buf)
	b := (*buf)[:sniffLen]
	n, err := readAt(f, b, 0)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return "", err
	}
	return http.DetectContentType(b[:n]), nil
}

// isZeroTime reports whether t is unknown: zero, or the Unix epoch that
// some file systems report instead (net/http's rule too).
func isZeroTime(t time.Time) bool {
	return t.IsZero() || t.Equal(time.Unix(0, 0))
}

// addVary adds field to the Vary header unless it is there already (a
// filter may have set it).
func addVary(hdr http.Header, field string) {
	for _, v := range hdr.Values("Vary") {
		for _, f := range splitList(v) {
			if http.CanonicalHeaderKey(f) == field || f == "*" {
				return
			}
		}
	}
	hdr.Add("Vary", field)
}
