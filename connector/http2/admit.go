package http2

// Admitter is an optional interface of the connector.Prepared that a
// Handler's Prepare returns; package container implements it for its
// bound on running handlers (container.WithMaxHandlers).
//
// When a request's head is complete, the connection's reader goroutine
// maps it (Prepare) and, if it is an Admitter, calls Admit once, before
// anything else: true means start the request now, on the executor as
// any request; false means it waits for its turn holding no goroutine,
// and the Handler starts it itself later (or ends it, if its stream is
// reset first). So a request that must wait costs no goroutine, even for
// a moment: a client that opens and resets streams on many connections
// (rapid reset) cannot make the server start one per stream. Admit runs
// on the reader, so it must not block.
type Admitter interface {
	Admit() bool
}
