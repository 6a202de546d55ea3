package websocket

import (
	"net/http"
	"net/url"
	"strings"
	"syscall"

	gws "github.com/gorilla/websocket"

	"github.com/wharf-go/wharf/api"
)

// Upgrade answers r's WebSocket handshake and serves the connection with h
// on goroutines of its own; it returns once the connection is open (h's
// OnOpen may already run). It must be called from r's handler (or a filter)
// before anything is written. A request that is not a valid WebSocket
// handshake (among them any HTTP/2 request) gets its error answer (400,
// 403 for a refused origin, 405, 426) and Upgrade returns the error.
func Upgrade(w api.Response, r *api.Request, cfg Config, h Handler) (*Conn, error) {
	up := gws.Upgrader{
		Subprotocols: cfg.Subprotocols,
		CheckOrigin: func(*http.Request) bool {
			if cfg.CheckOrigin != nil {
				return cfg.CheckOrigin(r)
			}
			return sameOrigin(r)
		},
	}
	var ws *gws.Conn
	var uerr error
	serve := api.FromHTTP(http.HandlerFunc(func(rw http.ResponseWriter, hr *http.Request) {
		ws, uerr = up.Upgrade(rw, hr, nil)
	}))
	if err := serve.Serve(w, r); err != nil && uerr == nil {
		uerr = err
	}
	if uerr != nil {
		if st := w.Status(); st >= 400 && !w.Committed() {
			// gorilla answered the bad handshake; say it with its status,
			// so the container's error pages render it.
			return nil, &api.StatusError{Code: st, Err: uerr}
		}
		return nil, uerr
	}
	c := &Conn{ws: ws, cfg: cfg, req: r, h: h, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if sc, ok := ws.NetConn().(syscall.Conn); ok && directWrites {
		c.raw, _ = sc.SyscallConn() // TLS connections have none: their writes all go through the writer
	}
	go c.serve()
	return c, nil
}

// NewHandler returns a handler that upgrades every request it serves and
// runs the Handler open returns for it; if open fails, the request is
// answered with open's error (use api.Error for a status) and not upgraded.
func NewHandler(cfg Config, open func(r *api.Request) (Handler, error)) api.Handler {
	return api.HandlerFunc(func(w api.Response, r *api.Request) error {
		h, err := open(r)
		if err != nil {
			return err
		}
		if _, err := Upgrade(w, r, cfg, h); err != nil && !w.Committed() {
			return err
		}
		return nil
	})
}

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
