// Package h3 serves a Wharf container over HTTP/3 (QUIC, on UDP), with
// github.com/quic-go/quic-go's HTTP/3 server, beside the container's TCP
// listeners, and advertises it to HTTP/1.1 and HTTP/2 clients with
// Alt-Svc.
//
// ListenAndServeTLS is the one call for all three on one port: TLS with
// HTTP/1.1 and HTTP/2 on TCP, HTTP/3 on UDP, Alt-Svc on every TCP answer,
// both ended by the container's Shutdown or Close:
//
//	c := container.New()
//	c.HandleFunc("/hello", hello)
//	log.Fatal(h3.ListenAndServeTLS(c, "localhost:8443", nil, h3.Config{DevCert: true}))
//
// (Config.DevCert serves a self-signed certificate made at start, to try
// it: give a production server its certificates in the tls.Config.)
// ServeTLS does the same on listeners of your own (Listen makes a pair);
// Serve and AltSvc are the parts, for other arrangements.
//
// Requests reach the container through its http.Handler side: the same
// contexts, filters, continuations and async executor; unlike HTTP/1.1 and
// HTTP/2, which the connector serves itself, a suspended HTTP/3 request
// holds its stream's goroutine while it waits (quic-go's server needs the
// response done when the handler returns).
//
// HTTP/1.1's connection fields (Connection, Transfer-Encoding, ...) are
// left out of a response, under a key in any case, as over HTTP/2 (RFC
// 9114 §4.2). Unlike HTTP/1.1 and HTTP/2, a handler's "Connection: close"
// does not close its connection: quic-go's server (v0.65) sends a GOAWAY
// (RFC 9114 §5.2) only from its Shutdown, for every connection, and keeps
// each connection's control stream to itself, so none can go out for one
// connection; and a close without it would fail the client's requests in
// flight.
//
// quic-go's server offers extended CONNECT (RFC 9220) to every client,
// with no setting to turn it off, but no handler can open the tunnel one
// asks for (a WebSocket over HTTP/3): such a request is answered 501
// before any filter or handler runs, where a handler's 2xx would tell
// the client that its tunnel was open. A plain CONNECT reaches the
// container as over HTTP/1.1 and HTTP/2.
//
// The connector's limits and timeouts (connector.Config) apply to HTTP/3
// too, from the same configuration: some through quic-go's own settings,
// the rest enforced here before and around the container's handler.
// docs/security.md lists each and where HTTP/3 differs.
//
// A returning client may send its requests as 0-RTT data, before its
// handshake completes (Config.Disable0RTT refuses it), and whoever
// captured that data can send it again. A request that came so with a
// method that is not safe (a POST, PUT, PATCH or DELETE; RFC 9110
// §9.2.1) waits for the handshake to complete, as RFC 8470 §3 allows, and
// a replay never completes one: its handler runs once, and its
// Request.TLS says the handshake is complete. A GET, HEAD, OPTIONS or
// TRACE runs at once, the round trip 0-RTT saves, and is run again for
// each replay (its TLS state's HandshakeComplete is false): where such
// a request has effects, set Config.Disable0RTT.
//
// Package h3 imports api, connector, container, devcert, internal/h1,
// internal/rate and quic-go.
package h3
