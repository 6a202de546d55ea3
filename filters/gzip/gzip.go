package gzip

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/continuation"
)

// Compression levels for Config.Level, the same values as in
// github.com/klauspost/compress/gzip, so that callers need not import it.
const (
	BestSpeed          = kgzip.BestSpeed          // 1
	BestCompression    = kgzip.BestCompression    // 9
	DefaultCompression = kgzip.DefaultCompression // -1
	HuffmanOnly        = kgzip.HuffmanOnly        // -2: entropy coding only, fastest
	// StatelessCompression keeps no state between writes: least memory,
	// worse ratio, the worse the smaller the handler's writes. A string
	// given to WriteString is compressed in one piece, as by Write (at
	// the cost of a copy on the heap, which the other levels avoid).
	StatelessCompression = kgzip.StatelessCompression // -3
)

// Config configures the filter. The zero value compresses at the default
// level the default content types from 1024 bytes up.
type Config struct {
	// Level is the compression level: BestSpeed (1) to BestCompression (9),
	// DefaultCompression, HuffmanOnly or StatelessCompression. Zero means
	// DefaultCompression (storing without compression cannot be chosen).
	// New panics on any other value.
	Level int
	// MinSize is the smallest body, in bytes, worth compressing; the filter
	// buffers up to MinSize bytes before deciding. Zero means 1024; a
	// negative value means every non-empty body.
	MinSize int
	// ContentTypes lists the compressible media types, compared without
	// parameters and without regard to case. An entry may hold one "*"
	// standing for any run of characters: "text/*", "application/*+json".
	// Nil or empty means DefaultContentTypes().
	ContentTypes []string
}

// DefaultContentTypes returns the media types compressed when
// Config.ContentTypes is empty: text, JSON, JavaScript, XML, SVG, WebAssembly
// and uncompressed font formats.
//
// Goroutines: any; it returns a new slice on each call.
func DefaultContentTypes() []string {
	return []string{
		"text/*",
		"application/json", "application/*+json", "application/x-ndjson",
		"application/javascript", "application/ecmascript", "application/x-javascript",
		"application/xml", "application/*+xml",
		"application/wasm",
		"image/svg+xml", "image/x-icon", "image/bmp",
		"font/ttf", "font/otf", "application/vnd.ms-fontobject",
	}
}

// pattern is a lower-case media type, with at most one '*' between prefix
// and suffix when wild.
type pattern struct {
	prefix, suffix string
	wild           bool
}

func (p pattern) match(s string) bool {
	if !p.wild {
		return s == p.prefix
	}
	return len(s) >= len(p.prefix)+len(p.suffix) &&
		strings.HasPrefix(s, p.prefix) && strings.HasSuffix(s, p.suffix)
}

type filter struct {
	level   int
	minSize int
	types   []pattern
	pool    sync.Pool // of *kgzip.Writer at level
}

// New returns the compression filter for cfg. It panics if cfg.Level is not
// a valid level. ContentTypes is copied.
//
// Goroutines: call it at setup time; the filter it returns is safe for
// concurrent use, and each call of its Filter method must come from the
// request's serialized task.
func New(cfg Config) api.Filter {
	f := &filter{level: cfg.Level, minSize: cfg.MinSize}
	if f.level == 0 {
		f.level = kgzip.DefaultCompression
	}
	if _, err := kgzip.NewWriterLevel(io.Discard, f.level); err != nil {
		panic(fmt.Sprintf("gzip: invalid compression level %d", cfg.Level))
	}
	switch {
	case f.minSize == 0:
		f.minSize = 1024
	case f.minSize < 0:
		f.minSize = 1
	}
	types := cfg.ContentTypes
	if len(types) == 0 {
		types = DefaultContentTypes()
	}
	for _, t := range types {
		t, _, _ = strings.Cut(t, ";") // compared without parameters, as the response's type is
		t = strings.ToLower(strings.TrimSpace(t))
		pre, suf, wild := strings.Cut(t, "*")
		f.types = append(f.types, pattern{prefix: pre, suffix: suf, wild: wild})
	}
	return f
}

func (f *filter) compressible(mediaType string) bool {
	mt, _, _ := strings.Cut(mediaType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	for _, p := range f.types {
		if p.match(mt) {
			return true
		}
	}
	return false
}

func (f *filter) get(dst io.Writer) *kgzip.Writer {
	if gz, ok := f.pool.Get().(*kgzip.Writer); ok {
		gz.Reset(dst)
		return gz
	}
	gz, _ := kgzip.NewWriterLevel(dst, f.level) // level checked in New
	return gz
}

func (f *filter) put(gz *kgzip.Writer) {
	gz.Reset(io.Discard) // drop the reference to the response
	f.pool.Put(gz)
}

// Filter runs next with a compressing Response and finishes the gzip stream
// when next returns (see the package documentation for suspended requests).
// It must be called from the request's serialized task (the filter chain
// does so).
func (f *filter) Filter(w api.Response, r *api.Request, next api.Chain) error {
	cw := &writer{
		ResponseWrapper: api.ResponseWrapper{Response: w},
		f:               f,
		accept:          acceptsGzip(r.Header().Values("Accept-Encoding")),
		head:            r.Method() == http.MethodHead,
		declared:        -1,
	}
	r = cw.unmarkConditions(r)
	err := next.Next(cw, r)
	if err != nil {
		cw.abandon()
		return err
	}
	cw.markNotModified()
	if continuation.Of(r).IsSuspended() {
		return cw.suspend()
	}
	if err := cw.truncated(); err != nil {
		return err
	}
	return cw.close()
}

// etagSuffix marks the ETag of a compressed response: a strong ETag
// names one sequence of bytes (RFC 9110 §8.8.1), and the compressed
// bytes are not the handler's, so "x" becomes "x--gzip" and W/"x"
// W/"x--gzip".
const etagSuffix = "--gzip"

// markedETag returns tag, an entity-tag, with etagSuffix inside its quotes,
// or ok false if tag is not an entity-tag.
func markedETag(tag string) (marked string, ok bool) {
	opaque := strings.TrimPrefix(tag, "W/")
	if len(opaque) < 2 || opaque[0] != '"' || opaque[len(opaque)-1] != '"' {
		return "", false
	}
	return tag[:len(tag)-1] + etagSuffix + `"`, true
}

// unmarkETags takes etagSuffix off every entity-tag of a list such as
// If-None-Match's. A '"' cannot occur inside an entity-tag, so in a list
// each `--gzip"` ends one; "*" and other tags are left as they are, as
// are the commas an opaque part may hold.
func unmarkETags(list string) string {
	return strings.ReplaceAll(list, etagSuffix+`"`, `"`)
}

// unmarkConditions returns r with the filter's marks taken off the
// entity-tags of If-None-Match and If-Match, so that the handler compares
// the tags of the compressed copies the client holds with its own.
// If-None-Match is changed only for a client that accepts gzip: to
// another the compressed copy is not the representation it would be sent.
// If-Match, which guards changes (PUT, DELETE) whose requests seldom
// accept an encoding, holds for the data whichever encoding the client
// saw. If-Range is left alone: the ranges the handler serves are of its
// own bytes, never of the compressed ones a marked tag names, so it must
// fail the handler's strong comparison and the whole response be sent.
// The original If-None-Match is kept for markNotModified.
func (w *writer) unmarkConditions(r *api.Request) *api.Request {
	h := r.Header()
	changed := false
	if w.accept {
		w.noneMatch = h.Has("If-None-Match")
		if vs, ok := unmarkValues(h.Values("If-None-Match")); ok {
			w.ifNoneMatch = strings.Join(h.Values("If-None-Match"), ",")
			h, changed = h.With("If-None-Match", vs...), true
		}
	}
	if vs, ok := unmarkValues(h.Values("If-Match")); ok {
		h, changed = h.With("If-Match", vs...), true
	}
	if !changed {
		return r
	}
	return r.WithHeader(h)
}

// unmarkValues applies unmarkETags to each of vs, in place, and reports
// whether that changed any.
func unmarkValues(vs []string) ([]string, bool) {
	changed := false
	for i, v := range vs {
		if u := unmarkETags(v); u != v {
			vs[i], changed = u, true
		}
	}
	return vs, changed
}

// markNotModified gives a 304 the ETag and the Vary the 200 it stands
// for would have (RFC 9110 §15.4.5). The marked form of its ETag goes
// when the client's If-None-Match named that form: the 304 then confirms
// the compressed copy the client holds. Otherwise the 304 has no type or
// length to tell whether that 200 would have been compressed, but its
// handler may have described the 200 (api.RepresentationDescriber): then
// it gets the Vary, and, answering a date (If-Modified-Since) for a
// client that accepts gzip, the marked ETag; an If-None-Match that named
// the handler's own tag is confirmed with that tag.
func (w *writer) markNotModified() {
	if w.Response.Committed() || w.Response.Status() != http.StatusNotModified {
		return
	}
	if w.ifNoneMatch == "" && !w.described.ok {
		return // the common 304: nothing to change, no header map asked for
	}
	h := w.Header()
	tag := h.Get("Etag")
	marked, ok := markedETag(tag)
	// As in unmarkETags, '"' delimits entity-tags: the quoted opaque part
	// occurs in the list only as an entry, weak or strong.
	if ok && w.ifNoneMatch != "" && strings.Contains(w.ifNoneMatch, strings.TrimPrefix(marked, "W/")) {
		h.Set("Etag", marked)
		addVary(h, "Accept-Encoding")
		return
	}
	if !w.describedCompressible(h) {
		return
	}
	w.described.ok = false // marked once, though Flush and close both come here
	addVary(h, "Accept-Encoding")
	if !w.accept || w.noneMatch || tag == "" {
		return
	}
	if ok {
		h.Set("Etag", marked)
	} else {
		h.Del("Etag") // as decide does: the 200 would carry none
	}
}

// acceptsGzip parses Accept-Encoding field values: gzip is acceptable if
// gzip (or x-gzip) has q > 0, or if it is not listed and * has q > 0.
func acceptsGzip(values []string) bool {
	gz, star := -1.0, -1.0
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(item, ";")
			q := 1.0
			for param := range strings.SplitSeq(params, ";") {
				k, val, _ := strings.Cut(param, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					var err error
					q, err = strconv.ParseFloat(strings.TrimSpace(val), 64)
					// Written so that a NaN, which ParseFloat takes,
					// fails too: kept, it lost every comparison, and
					// gzip counted as not listed, leaving * to decide.
					if err != nil || !(q >= 0 && q <= 1) {
						q = 0 // a malformed weight is no permission
					}
				}
			}
			switch name = strings.ToLower(strings.TrimSpace(name)); name {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if gz >= 0 {
		return gz > 0
	}
	return star > 0
}

type state uint8

const (
	undecided   state = iota // buffering up to minSize bytes
	passing                  // writing through uncompressed
	compressing              // writing through gz
	heading                  // a HEAD that a GET would compress: its head says so, its body goes nowhere
	done                     // the dispatch is over; writes go to the (stale) Response
)

// writer is the compressing Response. Embedding api.ResponseWrapper keeps
// the capabilities of the wrapped Response reachable with api.As, but for
// writing without blocking (api.BlockingWrites), which would go around
// the compressor.
type writer struct {
	api.ResponseWrapper
	api.BlockingWrites
	f      *filter
	accept bool
	// head is a HEAD request: its head is what a GET's would be (RFC
	// 9110 §9.3.2), so it is decided as a GET, but nothing is compressed,
	// and a declared Content-Length stands for the body it does not write.
	head  bool
	state state
	buf   []byte
	gz    *kgzip.Writer
	wrote bool // body bytes reached the wrapped Response
	// varied is whether the decision added "Vary: Accept-Encoding":
	// settle keeps the head as the decision made it until it goes.
	varied bool
	// etag is the ETag the decision left on a compressed head (marked),
	// "" for none.
	etag string
	// noneMatch is whether a client that accepts gzip sent If-None-Match:
	// a 304 then confirms the tag it named, not the date it sent.
	noneMatch bool
	// ifNoneMatch is the request's If-None-Match as sent, if the filter
	// unmarked entity-tags of it (see unmarkConditions).
	ifNoneMatch string
	// described is the 200 that a 304 or 206 of the handler's stands for
	// (DescribeRepresentation).
	described described
	// declared is the Content-Length the handler set on a compressed
	// response (a HEAD's too), which recode took off, -1 for none; fed
	// counts the bytes it gave the compressor (a HEAD's, the bytes it
	// wrote). The container holds a body to its declared
	// length; once the field is gone it cannot, so the writer does.
	declared, fed int64
	// headerAsked is whether Header was called: until then, no
	// Content-Length can have been set through the writer (one set
	// around it is left to writeHeld).
	headerAsked bool
}

// described is a representation as a handler described it
// (api.RepresentationDescriber); ok says it did.
type described struct {
	ctype, coding string
	length        int64
	ok            bool
}

// DescribeRepresentation records the 200 that the handler's 304 or 206
// stands for (api.RepresentationDescriber), and passes it on.
func (w *writer) DescribeRepresentation(contentType string, length int64, coding string) {
	w.described = described{ctype: contentType, coding: coding, length: length, ok: true}
	if d, ok := api.As[api.RepresentationDescriber](w.Response); ok {
		d.DescribeRepresentation(contentType, length, coding)
	}
}

// describedCompressible reports whether the 200 the handler described
// would have been compressed for a client accepting gzip, and so have
// carried "Vary: Accept-Encoding". An unknown length cannot say.
func (w *writer) describedCompressible(h http.Header) bool {
	d := w.described
	return d.ok && d.coding == "" && d.length >= int64(w.f.minSize) &&
		w.f.compressible(d.ctype) && !noTransform(h)
}

// Header returns the wrapped Response's header, noting that it was asked
// for: a handler that never asked set no Content-Length to hold the
// bytes held back to (holdBack).
func (w *writer) Header() http.Header {
	w.headerAsked = true
	return w.Response.Header()
}

// SetContentType passes the type on (api.ContentTypeSetter): the writer
// keeps no header fields of its own, and reads the type through the
// wrapped Response's Header when it decides, which shows it.
func (w *writer) SetContentType(v string) { api.SetContentType(w.Response, v) }

func (w *writer) Write(p []byte) (int, error) {
	switch w.state {
	case undecided:
		if bodyless(w.Response.Status()) {
			// The wrapped Response refuses a body for a 204 or a
			// 304: the handler learns it from this Write, not from
			// the filter's failing at the end of the request.
			return w.Response.Write(p)
		}
		if len(w.buf)+len(p) < w.f.minSize {
			if err := w.holdBack(len(p)); err != nil {
				return 0, err
			}
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		if err := w.decide(p, true); err != nil {
			return 0, err
		}
		return w.Write(p)
	case compressing:
		if w.dropBodiless() {
			return w.Response.Write(p) // refused, as in undecided
		}
		if err := w.admit(len(p)); err != nil {
			return 0, err
		}
		return w.gz.Write(p)
	case heading:
		if w.dropBodiless() {
			// The container refuses a HEAD's body on a 204 or 304
			// as a GET's.
			return w.Response.Write(p)
		}
		// Held to its declared length as the GET it stands for.
		if err := w.admit(len(p)); err != nil {
			return 0, err
		}
		return len(p), nil
	case passing:
		w.wrote = true
		w.settle()
	}
	return w.Response.Write(p)
}

func (w *writer) WriteString(s string) (int, error) {
	switch w.state {
	case undecided:
		if bodyless(w.Response.Status()) {
			return w.Response.WriteString(s) // refused, as in Write
		}
		if len(w.buf)+len(s) < w.f.minSize {
			if err := w.holdBack(len(s)); err != nil {
				return 0, err
			}
			w.buf = append(w.buf, s...)
			return len(s), nil
		}
		// decide reads no more of the body than the bytes it may sniff
		// the type from: a copy of those, not of s.
		if err := w.decide([]byte(s[:min(len(s), sniffLen)]), true); err != nil {
			return 0, err
		}
		return w.WriteString(s)
	case compressing:
		if w.dropBodiless() {
			return w.Response.WriteString(s) // refused, as in undecided
		}
		return w.compressString(s)
	case heading:
		if w.dropBodiless() {
			// The container refuses a HEAD's body on a 204 or 304
			// as a GET's.
			return w.Response.WriteString(s)
		}
		// Held to its declared length as the GET it stands for.
		if err := w.admit(len(s)); err != nil {
			return 0, err
		}
		return len(s), nil
	case passing:
		w.wrote = true
		w.settle()
	}
	return w.Response.WriteString(s)
}

// admit accounts for n body bytes about to be compressed, refusing them
// whole if they would take the body past the Content-Length the handler
// declared, as the container refuses a write past it: the handler's to
// hear of.
func (w *writer) admit(n int) error {
	w.wrote = true
	w.settle()
	if w.declared >= 0 && w.fed+int64(n) > w.declared {
		return errPastLength(w.declared)
	}
	w.fed += int64(n)
	return nil
}

// holdBack refuses n body bytes about to be held back before the decision
// if they would take the body past the Content-Length the handler
// declared, as the container refuses a write past it: the bytes go to the
// container only when the response ends, which would refuse them all
// then, the bytes that fit with them, with the handler long past hearing
// of it (the client got a 500 where the handler had declared and written
// its body). A handler that never asked for the header set no length
// through it: its header is not asked for here either (see
// SetContentType). One set around the writer (by a filter above, or
// through Unwrap) is not seen here, and writeHeld cuts the held bytes to
// it when they go.
func (w *writer) holdBack(n int) error {
	if !w.headerAsked {
		return nil
	}
	cl := w.Response.Header().Get("Content-Length")
	if cl == "" {
		return nil // and no allocation for ParseInt's error
	}
	declared, err := strconv.ParseInt(cl, 10, 64)
	if err == nil && declared >= 0 && int64(len(w.buf)+n) > declared {
		return errPastLength(declared)
	}
	return nil
}

// errPastLength is the error of a write refused for taking the body past
// the declared Content-Length.
func errPastLength(declared int64) error {
	return fmt.Errorf("gzip: writing more than the declared Content-Length, %d: %w", declared, http.ErrContentLength)
}

// compressString is Write of a compressing writer for a string. The
// compressor takes only bytes, and a conversion of each string would put
// a copy of it on the heap at every call: s goes through the buffer
// instead, whose bytes were written out when the filter decided, in
// pieces of its size (scratchLen at least). At StatelessCompression the
// string is converted whole, as Write would be given it: that level
// compresses each write on its own, without the bytes of the writes
// before it, and pieces of a page compressed several times worse than
// the page in one write.
func (w *writer) compressString(s string) (int, error) {
	if err := w.admit(len(s)); err != nil {
		return 0, err
	}
	if w.f.level == StatelessCompression {
		return w.gz.Write([]byte(s))
	}
	if cap(w.buf) < scratchLen {
		w.buf = make([]byte, 0, scratchLen)
	}
	scratch := w.buf[:cap(w.buf)]
	for done := 0; done < len(s); {
		n := copy(scratch, s[done:])
		if _, err := w.gz.Write(scratch[:n]); err != nil {
			return done, err
		}
		done += n
	}
	return len(s), nil
}

const (
	// sniffLen is how many bytes http.DetectContentType reads.
	sniffLen = 512
	// scratchLen is the smallest buffer compressString copies through.
	scratchLen = 4096
)

// decide chooses between compressing and passing through, from the header,
// the status and the first bytes of the body (the buffer followed by p), and
// then writes out the buffer. big says whether the body reached minSize.
func (w *writer) decide(p []byte, big bool) error {
	// The header is asked for only when it decides: a small response's
	// type may then stay out of a map (api.SetContentType).
	var h http.Header
	sniffed := ""
	eligible := big && !w.Response.Committed()
	if eligible {
		h = w.Header()
		eligible = w.eligible(h)
	}
	if eligible {
		ct := h.Get("Content-Type")
		if ct == "" {
			sample := w.buf
			if n := sniffLen - len(sample); n > 0 && len(p) > 0 {
				sample = append(sample[:len(sample):len(sample)], p[:min(n, len(p))]...)
			}
			if len(sample) > 0 {
				ct = http.DetectContentType(sample)
				if vs, set := h["Content-Type"]; !set || vs != nil {
					// A nil field asks for no type and no sniffing
					// (net/http's way, which the container follows):
					// the sniffed type decides, but is not sent, as
					// it is not on the uncompressed response.
					sniffed = ct
				}
			}
			// Else a HEAD that declared its length and wrote nothing:
			// DetectContentType of no bytes says text/plain whatever the
			// GET's body is, so the type is unknown and the head is left
			// as the handler made it, not given a gzip and a type that
			// the GET (an image, say) would not get.
		}
		eligible = ct != "" && w.f.compressible(ct)
	}
	if eligible {
		addVary(h, "Accept-Encoding")
		w.varied = true
	}
	if eligible && w.accept {
		if sniffed != "" {
			h.Set("Content-Type", sniffed)
		}
		h.Set("Content-Encoding", "gzip")
		w.recode(h)
		if w.head {
			// The held bytes count toward the declared length, as
			// a GET's, written out below, pass admit.
			w.state = heading
			w.fed = int64(len(w.buf))
			w.buf = nil
			return nil
		}
		w.gz = w.f.get(w.Response)
		w.state = compressing
	} else {
		w.state = passing
		w.varyPartial()
	}
	buf := w.buf
	w.buf = nil
	if w.state == compressing {
		// Kept for compressString, once its bytes are written out
		// below: they are not read again.
		w.buf = buf[:0]
	}
	if len(buf) == 0 || bodyless(w.Response.Status()) {
		// Bytes written before the status became 204 or 304 are
		// dropped, as the container drops those it buffered.
		return nil
	}
	return w.writeHeld(buf)
}

// writeHeld writes out buf, the bytes held back before the decision. A
// Content-Length that did not go through the writer's Header (a filter
// above set it on the Response it passed on, the handler on the one it
// unwrapped) escaped holdBack, and the held bytes may go past it: they
// are refused whole, by the container (which then answered the ending
// response with a 500 in place of the body declared) or by admit (the
// stream then ended cut, with none of them). The bytes that fit go, as
// the container alone would have taken them, and the refusal is
// returned: to the write that made the decision, or to close, which
// drops it.
func (w *writer) writeHeld(buf []byte) error {
	_, err := w.Write(buf)
	if err == nil || !errors.Is(err, http.ErrContentLength) {
		return err
	}
	n := w.declared // compressing: recode took the field off
	if w.state == passing {
		// The container refused for its Content-Length field: the map
		// holds it already, and asking for it makes none.
		var perr error
		if n, perr = strconv.ParseInt(w.Response.Header().Get("Content-Length"), 10, 64); perr != nil {
			return err
		}
	}
	if n < 0 || n >= int64(len(buf)) {
		return err
	}
	if _, werr := w.Write(buf[:n]); werr != nil {
		return werr
	}
	return err
}

// recode makes h the head of the compressed representation: no
// Content-Length (the compressed length is not known yet) or
// Accept-Ranges (ranges are of the handler's bytes), and the handler's
// ETag marked (see etagSuffix).
func (w *writer) recode(h http.Header) {
	if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		w.declared = n
	}
	h.Del("Content-Length")
	h.Del("Accept-Ranges")
	if tag := h.Get("Etag"); tag != w.etag {
		w.etag = ""
		if marked, ok := markedETag(tag); ok {
			h.Set("Etag", marked)
			w.etag = marked
		} else {
			// A validator that cannot be marked would claim the
			// compressed bytes are the handler's: none is better.
			h.Del("Etag")
		}
	}
}

// settle puts back into the head, before it can go, what the decision
// made of it. The handler may set header fields until the response is
// committed (api.Response), after writing the body too: a
// Content-Length, an ETag or an Accept-Ranges set after the decision
// describes the handler's bytes, not the compressed ones, and a Vary
// set in place of the filter's would let a cache give one client the
// representation chosen for another. It runs before every write,
// flush and end that may send the head; once the head went, changes
// are ignored and so is settle.
func (w *writer) settle() {
	if !w.varied || w.Response.Committed() {
		return
	}
	h := w.Header()
	addVary(h, "Accept-Encoding")
	if w.state == compressing || w.state == heading {
		w.recode(h)
	}
}

// dropBodiless ends the compression of a response whose status became
// 204 or 304 since the decision, its head unsent, and reports whether it
// did: such a response has no body, and the wrapped Response drops what
// it holds of it and refuses the rest, the end of the gzip stream
// included (which failed the request with a 500 in place of the 204 or
// 304). The body then passes, to be refused, and the head loses the
// Content-Encoding of a body it does not have, a HEAD's as a GET's.
func (w *writer) dropBodiless() bool {
	if (w.state != compressing && w.state != heading) || w.Response.Committed() || !bodyless(w.Response.Status()) {
		return false
	}
	if w.gz != nil {
		w.f.put(w.gz)
		w.gz = nil
	}
	w.state = passing
	w.Header().Del("Content-Encoding")
	return true
}

// varyPartial gives a 206 the Vary that the 200 to the same request would
// carry (RFC 9110 §15.3.7): its ranges go uncompressed, as the handler
// cut them, but the 200 the handler described (DescribeRepresentation),
// not the part's type and length, says whether that 200 varied.
func (w *writer) varyPartial() {
	if !w.described.ok || w.Response.Status() != http.StatusPartialContent || w.Response.Committed() {
		return
	}
	if h := w.Header(); w.describedCompressible(h) {
		addVary(h, "Accept-Encoding")
		w.varied = true
	}
}

// declaresMinSize reports whether a HEAD response declares a body of at
// least MinSize bytes, the body a GET would have written.
func (w *writer) declaresMinSize() bool {
	if !w.head || w.Response.Committed() {
		return false
	}
	n, err := strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64)
	return err == nil && n >= int64(w.f.minSize)
}

// bodyless reports whether a response of status code has no body: 1xx,
// 204 and 304.
func bodyless(code int) bool {
	return code < 200 || code == http.StatusNoContent || code == http.StatusNotModified
}

func (w *writer) eligible(h http.Header) bool {
	switch code := w.Response.Status(); {
	case code < 200, code == http.StatusNoContent, code == http.StatusPartialContent,
		code == http.StatusNotModified:
		return false
	}
	if h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" {
		return false
	}
	return !noTransform(h)
}

// noTransform reports whether Cache-Control holds no-transform.
func noTransform(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-transform") {
				return true
			}
		}
	}
	return false
}

// Flush decides (uncompressed, if fewer than MinSize bytes were written),
// flushes the gzip stream and then the wrapped Response.
func (w *writer) Flush() error {
	w.markNotModified() // before the head goes
	if w.state == undecided {
		if err := w.decide(nil, w.declaresMinSize()); err != nil {
			return err
		}
	}
	w.dropBodiless()
	w.settle()
	if w.state == compressing {
		if err := w.gz.Flush(); err != nil {
			return err
		}
	}
	return w.Response.Flush()
}

// Reset resets the wrapped Response and, if that succeeded, starts the
// decision over: the compressed bytes and header fields are gone.
func (w *writer) Reset() error {
	if err := w.Response.Reset(); err != nil {
		return err
	}
	if w.gz != nil {
		w.f.put(w.gz)
		w.gz = nil
	}
	w.buf = w.buf[:0]
	w.wrote = false
	w.varied, w.etag = false, ""
	w.described = described{}
	w.declared, w.fed = -1, 0
	if w.state != done {
		w.state = undecided
	}
	return nil
}

// truncated ends a compressed response whose handler wrote fewer bytes
// than the Content-Length it declared, which recode took off. Uncompressed,
// the container sends the declared length and closes the connection
// short of it, so that the client and caches see the body is cut; here
// the gzip stream would end well formed, with the chunked or HTTP/2
// framing that replaced the length, and the cut body pass for whole. So
// the bytes written are flushed, without the gzip trailer, and the
// response is aborted (http.ErrAbortHandler) instead of ended. It returns
// nil for any other response.
func (w *writer) truncated() error {
	if w.dropBodiless() || w.state != compressing || w.declared < 0 || w.fed >= w.declared {
		return nil
	}
	_ = w.gz.Flush()       // what the handler wrote goes, as it would uncompressed
	_ = w.Response.Flush() // committed: the error then cuts the stream, not renders a page
	w.f.put(w.gz)
	w.gz = nil
	w.state = done
	return fmt.Errorf("gzip: the handler wrote %d bytes of the %d its Content-Length declared: %w", w.fed, w.declared, http.ErrAbortHandler)
}

// close ends the dispatch of a request that is not suspended: it writes out
// the buffer or closes the gzip stream.
func (w *writer) close() error {
	var err error
	if w.state == undecided && (len(w.buf) > 0 || w.head) {
		err = w.decide(nil, len(w.buf) >= w.f.minSize || w.declaresMinSize())
		if errors.Is(err, http.ErrContentLength) {
			// The held bytes that fit the length went (writeHeld);
			// the handler, done, can no longer hear of the rest.
			err = nil
		}
	}
	w.dropBodiless()
	w.settle() // the fields the handler set last, before the head goes with the end
	if w.state == heading && err == nil && !w.Response.Committed() {
		// The compressed length is unknown: commit the head now, as a
		// response that goes on, so that the container does not declare
		// the bytes that reached it (none) as the body's length.
		err = w.Response.Flush()
	}
	if w.state == compressing {
		if cerr := w.gz.Close(); err == nil {
			err = cerr
		}
		w.f.put(w.gz)
		w.gz = nil
	}
	w.state = done
	return err
}

// suspend ends the dispatch of a request that suspended, keeping nothing.
func (w *writer) suspend() error {
	if w.state == undecided && len(w.buf) == 0 {
		w.state = done
		return nil
	}
	err := w.close()
	if w.wrote {
		if ferr := w.Response.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

// abandon ends a dispatch that failed: the buffer is dropped (the container
// renders the error) and the gzip writer returned to the pool unfinished.
func (w *writer) abandon() {
	if w.gz != nil {
		w.f.put(w.gz)
		w.gz = nil
	}
	w.buf = nil
	w.state = done
}

// addVary adds token to the Vary field unless it is already listed (or the
// field is "*").
func addVary(h http.Header, token string) {
	for _, v := range h.Values("Vary") {
		for t := range strings.SplitSeq(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.EqualFold(t, token) {
				return
			}
		}
	}
	h.Add("Vary", token)
}
