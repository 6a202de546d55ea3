package websocket

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/lazydone"
	"github.com/wharf-go/wharf/internal/wsext"
)

// Upgrade answers r's WebSocket handshake and serves the connection with h
// (see Handler for where its callbacks run); it returns once the
// connection is open (h's OnOpen may already run). It must be called from r's handler (or a filter)
// before anything is written.
//
// The header fields set on w before Upgrade — by the handler or by the
// filters on the way: cookies, CORS, anything — go out on the 101, except
// those the handshake itself owns (Connection, Upgrade, the other
// Sec-WebSocket-* fields, and the fields that describe a body). A
// Sec-WebSocket-Protocol set on w is the handler's choice of subprotocol,
// which must be one the client offered (Subprotocols lists them; another
// is answered 500 with ErrSubprotocol); without one, Config.Subprotocols
// chooses.
//
// A request that is not a valid WebSocket handshake gets its error answer
// (400, a version other than 13 included, with Sec-WebSocket-Version: 13;
// 400 with ErrHTTP10 for an HTTP/1.0 request and with ErrRequestBody for
// one with a body, 400 for one with Sec-WebSocket-Key twice; 403 with
// ErrOrigin for a refused origin, and for an Origin that names more than
// one (two fields, or a list in one), before Config.CheckOrigin; 405
// with Allow: GET for a method other than GET) and
// Upgrade returns the error;
// a request over HTTP/2 or HTTP/3 is answered 400 with ErrHTTP2, which
// says that WebSocket over those (RFC 8441, RFC 9220) is not offered.
// A cfg that Config refuses (ErrConfig), or a nil h (ErrNilHandler), is
// returned at once, nothing written: the handler's error is answered 500.
// A handshake whose w cannot take the connection over, as behind a filter
// that wraps the Response without Unwrap (api.ResponseWrapper) or buffers
// it (filters/timeout), is answered 500 too, with an error that wraps
// api.ErrNotSupported and says so.
//
// When a container serves r, the connection joins its graceful shutdown:
// Shutdown closes it with 1001 (as Close does: what is queued goes
// first) and waits for the close handshake, bounded by Shutdown's
// context: a peer that has stopped reading holds the wait until
// WriteTimeout drops it (the close frame is queued behind what it does
// not take), and one that reads but does not answer for CloseTimeout once
// the close frame went out; Container.Close ends what is left.
func Upgrade(w api.Response, r *api.Request, cfg Config, h Handler) (*Conn, error) {
	return upgrade(w, r, &settings{Config: cfg}, h)
}

// upgrade is Upgrade with settings its connections share.
func upgrade(w api.Response, r *api.Request, cfg *settings, h Handler) (*Conn, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if h == nil {
		// Before the 101: once it is out, the callbacks' panics would
		// close the connection with 1011 and the client would never
		// learn why.
		return nil, &api.StatusError{Code: http.StatusInternalServerError, Err: ErrNilHandler}
	}
	switch head := r.Head(); {
	case head.ProtoMajor >= 2:
		return nil, &api.StatusError{Code: http.StatusBadRequest, Err: ErrHTTP2}
	case head.ProtoMajor < 1 || head.ProtoMinor < 1:
		// gorilla checks no version: an HTTP/1.0 request got its 101,
		// Host or not, though HTTP/1.0 has no Upgrade (RFC 9110 §7.8
		// has it ignored) and RFC 6455 §4.1 asks for HTTP/1.1.
		return nil, &api.StatusError{Code: http.StatusBadRequest, Err: ErrHTTP10}
	case head.ContentLength != 0 && head.Method == http.MethodGet:
		// gorilla reads no body, and the connection is taken over
		// right behind the header: the body's bytes were read as the
		// client's first frames. (Another method is left to gorilla's
		// 405.)
		return nil, &api.StatusError{Code: http.StatusBadRequest, Err: ErrRequestBody}
	case head.Method == http.MethodGet && len(r.Header().Values("Sec-Websocket-Key")) > 1:
		// The field appears once (RFC 6455 §11.3.1), and a handshake
		// that is not as §4.1 describes is refused (§4.2.1). gorilla
		// reads the first and answered it 101, whatever the others
		// said: the client, or an intermediary that read another,
		// would not have the answer it checks.
		return nil, &api.StatusError{Code: http.StatusBadRequest, Err: errKeyRepeated}
	case head.Method == http.MethodGet && !singleOrigin(r.Header().Values("Origin")):
		// A browser sends one origin (RFC 6454 §7.3; RFC 6455 §4.1),
		// and the check reads the first (gorilla's rule, and any
		// CheckOrigin that calls Header().Get), where a proxy or a WAF
		// in front may read the last: refused as an origin the check
		// cannot vouch for, 403 as any other, before CheckOrigin sees
		// it.
		return nil, &api.StatusError{Code: http.StatusForbidden, Err: errOriginList}
	}
	header := handshakeHeader(w.Header())
	up := gws.Upgrader{
		// gorilla's Conn is used for the handshake alone: its buffers
		// would be garbage at once, so they are as small as it takes.
		// Both settings also keep it from taking the handshake's
		// ReadWriter (getHandshake) as its own buffers (a ReadBufferSize
		// of 0 would keep the reader, a nil WriteBufferPool the writer's
		// 512 bytes): the ReadWriter goes back to a pool once Upgrade
		// returns.
		ReadBufferSize:    1,
		WriteBufferPool:   noBuffers{},
		Subprotocols:      cfg.Subprotocols,
		EnableCompression: cfg.EnableCompression,
		CheckOrigin: func(*http.Request) bool {
			if cfg.CheckOrigin != nil {
				return cfg.CheckOrigin(r)
			}
			return sameOrigin(r)
		},
	}
	// permessage-deflate is negotiated and answered here, not by gorilla,
	// which accepts the first offer whatever its parameters (RFC 7692 §7
	// has an offer the server cannot honour declined) and always gives
	// the same answer (an offer of server_max_window_bits is accepted
	// only by an answer that says it, §7.1.2.1). The answer goes to
	// gorilla as a field of the 101 under a key it writes as it is:
	// gorilla refuses a handler's extensions by the canonical key alone,
	// and handshakeHeader left none of the handler's under any spelling.
	var deflate bool
	if up.EnableCompression {
		var answer string
		answer, deflate = wsext.AcceptDeflate(r.Header().Values("Sec-Websocket-Extensions"))
		if deflate {
			if header == nil {
				header = make(http.Header, 1)
			}
			header["Sec-WebSocket-Extensions"] = []string{answer}
		}
	}
	up.EnableCompression = false
	if chosen := header.Get("Sec-Websocket-Protocol"); chosen != "" {
		if !slices.Contains(Subprotocols(r), chosen) {
			return nil, &api.StatusError{Code: http.StatusInternalServerError, Err: ErrSubprotocol}
		}
		up.Subprotocols = nil // gorilla then takes the header's choice
	}
	// The connection joins the container's shutdown before it is taken
	// over: a hijacked request stops counting for Shutdown at the Hijack,
	// so a Shutdown that began between the Hijack and the tracking would
	// not wait for the WebSocket, whose 101 is already on its way.
	var p *pendingConn
	if t, ok := r.Exchange().(shutdownTracker); ok {
		p = new(pendingConn)
		p.tracked = t.TrackTakenOver(p)
	}
	var ws *gws.Conn
	var tun api.Tunnel
	var uerr, herr error
	hs := cfg.getHandshake()
	serve := api.FromHTTP(http.HandlerFunc(func(rw http.ResponseWriter, hr *http.Request) {
		ws, uerr = up.Upgrade(hijackWriter{rw, w, cfg.writeTimeout(), &tun, hs, &herr}, hr, header)
	}))
	err := serve.Serve(w, r)
	cfg.putHandshake(hs) // gorilla wrote the 101 through it, or failed: it keeps nothing of it
	if err != nil && uerr == nil {
		uerr = err
	}
	if uerr != nil {
		if p != nil {
			p.Untrack() // no connection to wait for
		}
		switch {
		case errors.Is(herr, api.ErrNotSupported):
			// gorilla answered 500 with the hijack's error as text,
			// which blamed the connection, and wrapped nothing: on
			// HTTP/1.1 the connection can be taken over, and what
			// stands in the way is a Response that does not lead to it.
			uerr = fmt.Errorf("%w: %w", errHidden, herr)
		case herr != nil:
			uerr = herr
		}
		if st := w.Status(); st >= 400 && !w.Committed() {
			// gorilla answered the bad handshake; say it with its status,
			// so the container's error pages render it. Its 403, the
			// origin's refusal alone, names its Upgrader.CheckOrigin,
			// which a program here never sees: ErrOrigin names the
			// field that decides.
			switch st {
			case http.StatusForbidden:
				uerr = ErrOrigin
			case http.StatusMethodNotAllowed:
				// A 405 names the methods the target takes (RFC 9110
				// §15.5.6), as the container's own 405 and net/http's
				// do; gorilla's leaves Allow out.
				w.Header().Set("Allow", http.MethodGet)
			}
			return nil, &api.StatusError{Code: st, Err: uerr}
		}
		return nil, uerr
	}
	c := newConn(tun, ws.Subprotocol(), cfg, r, h)
	c.deflate = deflate
	if p != nil {
		c.tracked = p // before start: end reads it
		p.attach(c)
	}
	c.start()
	return c, nil
}

// errHidden is the error of a handshake whose Response cannot take the
// connection over (api.ErrNotSupported on HTTP/1.1), answered 500.
var errHidden = errors.New("websocket: the connection cannot be taken over through this Response: a filter on the path wraps it without Unwrap (see api.ResponseWrapper), or buffers it, as filters/timeout does")

// errKeyRepeated is the error of a handshake with more than one
// Sec-WebSocket-Key field, answered 400.
var errKeyRepeated = errors.New("websocket: not a websocket handshake: Sec-WebSocket-Key appears more than once (RFC 6455 §11.3.1)")

// errOriginList is the error of a handshake whose Origin names more than
// one origin (two fields, or a list in one), answered 403: it is an
// ErrOrigin, for a program that watches for refused origins.
var errOriginList = fmt.Errorf("%w: Origin names more than one origin (RFC 6454 §7.3)", ErrOrigin)

// singleOrigin reports whether the Origin field lines vs name one origin
// at most: no field, or one whose value is a single serialized origin
// (or "null"), which holds no comma and no white space, where an origin
// list (RFC 6454 §7) separates its origins by spaces and a proxy that
// joins two fields puts a comma between them.
func singleOrigin(vs []string) bool {
	return len(vs) == 0 || len(vs) == 1 && !strings.ContainsAny(vs[0], ", \t")
}

// shutdownTracker is implemented by the state a container keeps for a
// request (api.Request.Exchange): a connection taken over from the request
// joins the container's graceful shutdown through it (see the container
// package's Shutdown).
type shutdownTracker interface {
	TrackTakenOver(c interface {
		Shutdown()
		Done() <-chan struct{}
	}) interface{ Untrack() }
}

// takenOver is a connection as the container's graceful shutdown sees it
// (shutdownTracker): no closures, and its Done channel made only if the
// shutdown waits for it.
type takenOver Conn

// Shutdown starts the close a server's shutdown asks for: 1001, what is
// queued first.
func (t *takenOver) Shutdown() { (*Conn)(t).Close(CloseGoingAway, "server shutting down") }

// Done is Conn.Done.
func (t *takenOver) Done() <-chan struct{} { return (*Conn)(t).Done() }

// pendingConn is a connection in the container's shutdown set from
// before the upgrade takes it over until it ends: a Shutdown told before
// the Conn exists closes it once it does, and Done covers both.
type pendingConn struct {
	tracked interface{ Untrack() }
	mu      sync.Mutex
	c       *Conn // once the upgrade succeeded
	told    bool  // Shutdown came before c
	done    chan struct{}
	ended   bool // Untrack was called: the upgrade failed, or c ended
}

// attach hands p the Conn the upgrade made, telling it if Shutdown came.
func (p *pendingConn) attach(c *Conn) {
	p.mu.Lock()
	p.c = c
	told := p.told
	p.mu.Unlock()
	if told {
		(*takenOver)(c).Shutdown()
	}
}

// Shutdown is takenOver's, or remembered until attach.
func (p *pendingConn) Shutdown() {
	p.mu.Lock()
	c := p.c
	p.told = c == nil
	p.mu.Unlock()
	if c != nil {
		(*takenOver)(c).Shutdown()
	}
}

// Done is closed once Untrack is called.
func (p *pendingConn) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return lazydone.Chan(&p.done, p.ended)
}

// Untrack ends p and takes it out of the container's set.
func (p *pendingConn) Untrack() {
	p.mu.Lock()
	lazydone.End(&p.done, &p.ended)
	p.mu.Unlock()
	p.tracked.Untrack()
}

// NewHandler returns a handler that upgrades every request it serves and
// runs the Handler open returns for it; if open fails, the request is
// answered with open's error (use api.Error for a status) and not upgraded.
// open runs first, before the handshake is checked: a request that is not
// a valid WebSocket handshake, or whose origin Config.CheckOrigin refuses,
// is answered its 400, 403 or 405 after open returned, and the Handler
// open made then gets no callback at all. So open decides whether and
// how to serve (authentication, a room's name); what must be undone when
// the connection ends (joining a room) belongs in OnOpen, which OnClose
// always follows. An open that returns neither a Handler nor an error is
// answered 500 with ErrNilHandler.
// To set header fields on the 101 (a cookie, the chosen subprotocol), set
// them in a filter before it, or call Upgrade from a handler of your own.
func NewHandler(cfg Config, open func(r *api.Request) (Handler, error)) api.Handler {
	if err := cfg.check(); err != nil {
		panic(err)
	}
	shared := &settings{Config: cfg, pools: new(pools)}
	return api.HandlerFunc(func(w api.Response, r *api.Request) error {
		h, err := open(r)
		if err != nil {
			return err
		}
		if _, err := upgrade(w, r, shared, h); err != nil && !w.Committed() {
			return err
		}
		return nil
	})
}

// Subprotocols returns the subprotocols r's client offers
// (Sec-WebSocket-Protocol), in its order of preference.
func Subprotocols(r *api.Request) []string {
	var list []string
	for _, v := range r.Header().Values("Sec-Websocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, p)
			}
		}
	}
	return list
}

// handshakeHeader is what of the response header goes out on the 101: all
// but the fields the handshake writes itself and those that describe a
// body, which a 101 has not. Nil if nothing is left.
func handshakeHeader(h http.Header) http.Header {
	var out http.Header
	for k, v := range h {
		// A key set by assignment may not be canonical
		// ("Sec-WebSocket-Extensions"): gorilla would write it as it is.
		switch ck := textproto.CanonicalMIMEHeaderKey(k); ck {
		case "Connection", "Upgrade", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding",
			"Content-Length", "Content-Type", "Content-Encoding",
			"Sec-Websocket-Accept", "Sec-Websocket-Extensions", "Sec-Websocket-Version":
			continue
		case "Sec-Websocket-Protocol":
			// The handler's choice, under the key upgrade checks it by
			// and gorilla takes it from: under another, it went out
			// unchecked beside gorilla's choice, and the Conn did not
			// know it.
			if out == nil {
				out = make(http.Header, len(h))
			}
			out[ck] = append(out[ck], v...)
			continue
		}
		if out == nil {
			out = make(http.Header, len(h))
		}
		out[k] = v
	}
	return out
}

// hijackWriter is the ResponseWriter gorilla's Upgrade gets. Its Hijack
// takes the connection as a Tunnel where the connector offers one (the
// epoll connector's HTTP/1.1, TLS included: the selector then reads it), else
// hijacks a net.Conn and makes a netTunnel of it. gorilla writes the 101
// on what it returns and reads nothing from it: the Conn reads frames
// itself.
type hijackWriter struct {
	http.ResponseWriter
	w   api.Response
	wto time.Duration
	tun *api.Tunnel
	hs  *bufio.ReadWriter // what the 101 is written with (settings.getHandshake)
	err *error            // why Hijack failed, which gorilla keeps as text alone
}

func (h hijackWriter) Hijack() (nc net.Conn, brw *bufio.ReadWriter, err error) {
	defer func() { *h.err = err }()
	if tn, ok := api.As[api.Tunneler](h.w); ok {
		t, err := tn.Tunnel()
		switch {
		case err == nil:
			*h.tun = t
			nc := tunnelConn{t, h.wto}
			h.hs.Writer.Reset(nc)
			return nc, h.hs, nil
		case !errors.Is(err, api.ErrNotSupported):
			return nil, nil, err
		}
	}
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, api.ErrNotSupported
	}
	nc, brw, err = hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	*h.tun = newNetTunnel(nc, brw.Reader, h.wto)
	// gorilla refuses a client that sent bytes before the 101, and reads
	// nothing: an empty reader keeps the hijacked one, and its bytes, for
	// the tunnel.
	h.hs.Writer.Reset(nc)
	return nc, h.hs, nil
}

// noBuffers is the write buffer pool of gorilla's Conn, which never
// writes a frame here.
type noBuffers struct{}

func (noBuffers) Get() any { return nil }
func (noBuffers) Put(any)  {}

// eof is a reader with nothing in it.
type eof struct{}

func (eof) Read([]byte) (int, error) { return 0, io.EOF }

// sameOrigin is gorilla's default origin rule on a Wharf request: no
// Origin, or one whose host is the request's Host.
func sameOrigin(r *api.Request) bool {
	origin := r.Header().Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host())
}
