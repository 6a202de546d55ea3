package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// FromHTTP adapts a net/http Handler (a chi router, net/http/pprof, ...) so it
// can be mounted in a Wharf context. The http.Request it sees has the full
// request path in URL.Path, decoded and cleaned as the container mapped it
// (RequestURI is the target as sent); wrap h with http.StripPrefix to serve it
// under a prefix. Its PathValue returns the {name} parameters of the
// pattern h was mounted on, as behind a ServeMux. The ResponseWriter implements http.Flusher and http.Hijacker
// (the latter fails with an error that is both ErrNotSupported and
// http.ErrNotSupported where the connection cannot be hijacked), and so http.ResponseController's Flush and Hijack; its
// SetReadDeadline, SetWriteDeadline and EnableFullDuplex fail with
// http.ErrNotSupported (the connector's limits bound reads and writes).
// WriteHeader with an informational status other than 101 (a 103 with
// early hints) sends nothing and is ignored, as Wharf sends no interim
// responses of a handler's.
//
// Header fields behave as on net/http's server. The head sent has the
// fields as they were when the handler called WriteHeader, or first wrote
// or flushed; later changes to the map Header returns are not sent. A
// Content-Type key the handler set, even to "" or to no values, keeps the
// body's type from being sniffed, as net/http's server does; its empty
// values are not sent, where net/http sends them empty.
// Trailers are the exception: the names the Trailer field declares by then
// are announced, and sent after the body with the values the handler's map
// holds for them when it returns, and a key set with the http.TrailerPrefix
// prefix, at any time, is sent as a trailer without the prefix. Both kinds
// end up in the Response's Trailer, so they are sent on every protocol;
// the Trailer field and the prefixed keys are not sent as header fields.
//
// A Write the response refuses for what the handler declared (a body on a
// 204 or 304, bytes past the Content-Length it set) fails with
// http.ErrBodyNotAllowed or http.ErrContentLength and is the handler's to
// hear, as on net/http's server: the response goes out as declared. Other
// write errors (the client gone) end the request as the handler's error.
//
// The net/http handler runs in the request's serialized task and must finish
// its response before returning, as net/http requires.
func FromHTTP(h http.Handler) Handler {
	return HandlerFunc(func(w Response, r *Request) error {
		hr, err := ToHTTPRequest(r)
		if err != nil {
			return &StatusError{Code: http.StatusBadRequest, Err: err}
		}
		rw := &httpWriter{w: w}
		h.ServeHTTP(rw, hr)
		rw.finish()
		return rw.err
	})
}

// ToHTTPRequest builds a net/http server request from r: same method, target,
// header (a copy), body, context, addresses and TLS state; the context
// carries http.LocalAddrContextKey, as net/http's server sets it. Its body
// is what r.Body() returns: once the request has a ReadListener, a stream
// whose reads fail (see Request.Body). If the body
// form was read already (Form, FormValue: by a filter, say), the body is
// spent, and the values are in the request's Form and PostForm instead.
// Its Trailer is as net/http's server makes it: the declared names from
// the start (the Trailer field taken out of the header), their values
// once the body was read to its end. Its PathValue returns the {name}
// parameters the container's pattern bound (PathParam). Its URL.Path is r.Path(), the decoded and cleaned path the container mapped r by, not the
// target's: a handler that routes on the path as sent ("/admin/../public",
// which the container mapped as "/public") would serve what the filters
// mapped to "/admin/*" guard. Its URL.RawQuery is r.RawQuery(), as a
// filter may have rewritten it. RequestURI stays the target as sent. Its
// Close is set as net/http's server sets it: on HTTP/1.x, when the
// Connection fields name "close" or, on HTTP/1.0, do not name
// "keep-alive".
func ToHTTPRequest(r *Request) (*http.Request, error) {
	u, err := url.ParseRequestURI(r.head.Target)
	if err != nil {
		if r.head.Target != "*" {
			return nil, err
		}
		u = &url.URL{Path: "*"}
	}
	if u.Path != r.head.Path && r.head.Target != "*" {
		// Dot segments or doubled slashes the path was cleaned of, or a
		// head rewritten with WithHead: the path mapped is the one to see.
		// Its raw form, if any, went with the target's.
		u.Path, u.RawPath = r.head.Path, ""
	}
	if u.RawQuery != r.head.RawQuery && r.head.Target != "*" {
		// A head rewritten with WithHead (a filter that took a
		// parameter out): the query the filters left is the one to
		// see, as the path is.
		u.RawQuery, u.ForceQuery = r.head.RawQuery, false
	}
	hr := &http.Request{
		Method:     r.head.Method,
		URL:        u,
		Proto:      r.head.Proto,
		ProtoMajor: r.head.ProtoMajor,
		ProtoMinor: r.head.ProtoMinor,
		Header:     r.head.Header.Clone(),
		Body:       r.Body(), // refusing its reads once a ReadListener has it
		Host:       r.head.Host,
		RemoteAddr: r.RemoteAddr(),
		RequestURI: r.head.Target,
		TLS:        r.TLS(),
	}
	hr.ContentLength = r.head.ContentLength
	if hr.ContentLength < 0 && r.head.ProtoMajor == 1 {
		// HTTP/1.1's body of unknown length is chunked; HTTP/2's and
		// HTTP/3's are framed, and net/http says nothing of a coding
		// there.
		hr.TransferEncoding = []string{"chunked"}
	}
	if r.head.ProtoMajor == 1 {
		// A handler that sees Close knows the client sends nothing more
		// on the connection (it need not offer it, say, a long poll to
		// come back to). HTTP/2 and HTTP/3 have no Connection field, and
		// net/http's servers leave Close false there.
		hr.Close = closeRequested(r.head.ProtoMinor, r.head.Header)
	}
	// net/http's server moves Host out of the header into Request.Host.
	delete(hr.Header, "Host")
	if r.formRead() {
		// The exchange's body form was read (a filter's FormValue): the
		// body is spent, and ParseForm would find nothing in it. Its
		// values go in as net/http's ParseForm would have set them, in
		// copies the handler owns; ParseForm then leaves them be.
		hr.PostForm, _ = r.PostForm()
		hr.Form, _ = r.Form()
	}
	ctx := r.ctx
	if ctx.Value(http.LocalAddrContextKey) == nil {
		// net/http's server puts the connection's local address there,
		// and a handler serving several listeners tells them apart by
		// it. Behind net/http's server (and HTTP/3's) it is there
		// already.
		if a := localNetAddr(r); a != nil {
			ctx = context.WithValue(ctx, http.LocalAddrContextKey, a)
		}
	}
	// The request made here stays on the stack: WithContext copies it.
	out := hr.WithContext(ctx)
	for _, p := range r.m.params {
		// A handler mounted on "/notes/{id}" reads its parameter as it
		// would behind a ServeMux.
		out.SetPathValue(p.Name, p.Value)
	}
	if r.head.Trailer != nil && out.Body != nil {
		// As net/http's server: Trailer holds the names the Trailer
		// field declares, moved out of the header, and the values once
		// the body has been read to its end.
		out.Trailer = declaredTrailers(out.Header)
		for k, v := range r.head.Trailer() {
			// Behind net/http (and HTTP/3), whose server took the
			// declared names out of the header already. A body read
			// to its end before (a filter's FormValue) brought the
			// values already: the handler, given the form, reads no
			// more of it, so they go in now, as net/http's ParseForm
			// would have left them.
			if out.Trailer == nil {
				out.Trailer = http.Header{}
			}
			out.Trailer[k] = slices.Clone(v)
		}
		out.Body = &trailerBody{ReadCloser: out.Body, trailer: r.head.Trailer, hr: out}
	}
	return out, nil
}

// localNetAddr returns r's local address as net/http's server gives it
// (a *net.TCPAddr; a *net.UDPAddr for HTTP/3), or nil if the connector
// did not say.
func localNetAddr(r *Request) net.Addr {
	s := r.LocalAddr()
	if s == "" {
		return nil // and no error made to say so
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil
	}
	if r.head.ProtoMajor == 3 {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

// closeRequested reports whether an HTTP/1.x request's Connection fields
// end the connection after it, as net/http's server sets Request.Close:
// they name "close", or, on HTTP/1.0, do not name "keep-alive".
func closeRequested(minor int, h Header) bool {
	var close, keep bool
	h.lookup("Connection", func(v string) bool {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			tok = strings.Trim(tok, " \t")
			close = close || strings.EqualFold(tok, "close")
			keep = keep || strings.EqualFold(tok, "keep-alive")
		}
		return !close
	})
	return close || minor == 0 && !keep
}

// declaredTrailers takes the Trailer field out of h and returns the names
// it declares, with no values yet, or nil for none.
func declaredTrailers(h http.Header) http.Header {
	vs := h["Trailer"]
	if len(vs) == 0 {
		return nil
	}
	delete(h, "Trailer")
	var t http.Header
	for _, v := range vs {
		for name := range strings.SplitSeq(v, ",") {
			switch name = http.CanonicalHeaderKey(strings.TrimSpace(name)); name {
			case "", "Transfer-Encoding", "Trailer", "Content-Length":
				continue // not a trailer a message may have
			}
			if t == nil {
				t = http.Header{}
			}
			t[name] = nil
		}
	}
	return t
}

// trailerBody is a request body that, read to its end, fills its
// http.Request's Trailer, as net/http's server does.
type trailerBody struct {
	io.ReadCloser
	trailer func() http.Header
	hr      *http.Request
	done    bool
}

func (b *trailerBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		for k, v := range b.trailer() {
			if b.hr.Trailer == nil {
				b.hr.Trailer = http.Header{}
			}
			b.hr.Trailer[k] = slices.Clone(v)
		}
	}
	return n, err
}

// httpWriter is the http.ResponseWriter over a Wharf Response.
//
// The handler gets a header map of its own, as on net/http's server,
// rather than w's: a handler may keep the map Header returned and change it
// after WriteHeader, which must not reach the head, and the values of its
// trailers are read from that map once it returns.
type httpWriter struct {
	w Response
	// header holds the handler's fields, w's copied on the first Header
	// and copied back to w at commit; nil while the handler has not asked.
	header      http.Header
	wroteHeader bool
	hijacked    bool
	// switching: the handler's WriteHeader was 101, which Hijack sends.
	// Response.SetStatus refuses a 101 (it must not go out as a response
	// of its own), and the handler hears so if it writes, flushes or
	// returns without hijacking (see unswitch).
	switching bool
	// declared lists the trailers the Trailer field named at commit.
	declared []string
	err      error
}

func (h *httpWriter) Header() http.Header {
	if h.header == nil {
		h.header = h.w.Header().Clone()
		if h.header == nil {
			h.header = make(http.Header)
		}
	}
	return h.header
}

// commit gives w the handler's fields as they are when the head is
// written, as net/http snapshots them at WriteHeader: later changes stay
// in the handler's map. The names the Trailer field declares become w's
// trailer keys, so that the head announces them; the field itself and
// the keys with http.TrailerPrefix are not header fields.
func (h *httpWriter) commit() {
	h.wroteHeader = true
	if h.header == nil {
		return // the handler never asked for its fields: w's stand
	}
	dst := h.w.Header()
	clear(dst) // the handler's map began as a copy of w's: what it deleted goes
	for k, v := range h.header {
		switch {
		case k == "Trailer":
			h.declare(v)
		case strings.HasPrefix(k, http.TrailerPrefix):
		case k == "Content-Type" && (len(v) == 0 || v[0] == ""):
			// net/http sniffs no type over a Content-Type key the
			// handler set, whatever its values; the Response sniffs
			// over an empty first one. Without the empty values the
			// field says what the handler meant: its types, or none
			// (nil, which the Response sniffs no type over either).
			var types []string
			for _, t := range v {
				if t != "" {
					types = append(types, t)
				}
			}
			dst[k] = types
		default:
			dst[k] = slices.Clone(v) // the handler may still append to its own
		}
	}
}

// declare notes the trailer names listed in the values of a Trailer field.
func (h *httpWriter) declare(values []string) {
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = http.CanonicalHeaderKey(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			h.declared = append(h.declared, name)
			tr := h.w.Trailer()
			if _, ok := tr[name]; !ok {
				tr[name] = nil // announced now, filled in by finish
			}
		}
	}
}

// finish ends the handler's response as net/http does once the handler
// returns: the head is written if it was not, and the trailers take their
// values from the handler's map, both the declared ones and those set with
// http.TrailerPrefix, whenever they were set.
func (h *httpWriter) finish() {
	if h.hijacked {
		return
	}
	h.unswitch()
	if !h.wroteHeader {
		h.commit()
	}
	if h.header == nil {
		return
	}
	for k, v := range h.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && len(v) > 0 {
			h.w.Trailer()[http.CanonicalHeaderKey(name)] = slices.Clone(v)
		}
	}
	for _, name := range h.declared {
		if v := h.header[name]; len(v) > 0 {
			h.w.Trailer()[name] = slices.Clone(v)
		}
	}
}

func (h *httpWriter) WriteHeader(code int) {
	if h.wroteHeader {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		return // informational responses are not forwarded
	}
	h.commit()
	if code == http.StatusSwitchingProtocols {
		h.switching = true
		return
	}
	h.keep(h.w.SetStatus(code))
}

// unswitch ends a 101 the handler wrote and did not hijack for: it was
// not a head the Response can send, and the error says so.
func (h *httpWriter) unswitch() {
	if h.switching {
		h.switching = false
		h.keep(h.w.SetStatus(http.StatusSwitchingProtocols))
	}
}

func (h *httpWriter) Write(p []byte) (int, error) {
	h.unswitch()
	if !h.wroteHeader {
		h.commit()
	}
	n, err := h.w.Write(p)
	h.keep(err)
	return n, err
}

func (h *httpWriter) WriteString(s string) (int, error) {
	h.unswitch()
	if !h.wroteHeader {
		h.commit()
	}
	n, err := h.w.WriteString(s)
	h.keep(err)
	return n, err
}

func (h *httpWriter) Flush() { _ = h.FlushError() }

// FlushError is what http.ResponseController.Flush calls.
func (h *httpWriter) FlushError() error {
	h.unswitch()
	if !h.wroteHeader {
		h.commit()
	}
	err := h.w.Flush()
	h.keep(err)
	return err
}

// Hijack takes the connection over. After WriteHeader (or a Write, which
// implies a 200) it first writes that head, with the fields the handler
// had set at WriteHeader, as net/http's Hijack flushes a head written
// before it: the Response has not sent it, and will not once the
// connection is taken (one it committed, with a Flush, went already). A handler that upgrades with a 101
// (coder/websocket, for one), or answers a 200 and then tunnels, finds
// the client switched. A body written before Hijack is dropped, as on
// net/http's server.
func (h *httpWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h.wroteHeader && !h.switching && !h.w.Committed() {
		// The status written below, set on the Response (a Write implied
		// it), so that what the exchange reports sent (a request log's
		// line) is the head the client gets.
		_ = h.w.SetStatus(h.w.Status())
	}
	nc, rw, err := Hijack(h.w)
	if errors.Is(err, ErrNotSupported) {
		// A handler tests for net/http's error, which its server and
		// http.ResponseController return where there is no connection to
		// take (HTTP/2, HTTP/3), to fall back; it does not know Wharf's.
		err = fmt.Errorf("%w: %w", http.ErrNotSupported, err)
	}
	if err != nil {
		return nc, rw, err
	}
	h.hijacked = true
	// A head the Response committed (a Flush) went out already, where the
	// connection could still be taken (net/http's server, which sent it
	// as its Hijack does): not sent twice.
	if h.wroteHeader && !h.w.Committed() {
		status := h.w.Status()
		if h.switching {
			status = http.StatusSwitchingProtocols
		}
		if err := writeHead(rw.Writer, status, h.w.Header()); err != nil {
			nc.Close()
			return nil, nil, err
		}
	}
	return nc, rw, nil
}

// writeHead writes an HTTP/1.1 head with status and the fields of header
// to w, and flushes it.
func writeHead(w *bufio.Writer, status int, header http.Header) error {
	fmt.Fprintf(w, "HTTP/1.1 %03d %s\r\n", status, http.StatusText(status))
	if err := header.Write(w); err != nil {
		return err
	}
	w.WriteString("\r\n")
	return w.Flush()
}

// keep records the first error of the response, which the adapted
// Handler returns. A write the response refuses for what the handler
// declared (a body on a 204 or 304, bytes past its Content-Length) is
// not one: as on net/http's server, that Write's error is the handler's
// to hear, and the response goes out with its status and declared body.
// Returned, it would turn the response into an error page (a 500).
func (h *httpWriter) keep(err error) {
	if errors.Is(err, http.ErrBodyNotAllowed) || errors.Is(err, http.ErrContentLength) {
		return
	}
	if err != nil && h.err == nil {
		h.err = err
	}
}
