package exchange

// End says how a request ended: what decided its outcome.
type End uint8

// The ends of a request, in order of precedence: when several apply (a
// request expired by a shutdown whose client had left), the Result
// reports the last of them in this list.
const (
	// EndAnswered: the request's own work answered it — a dispatch, a
	// task, a Complete — successfully or with an error it returned.
	EndAnswered End = iota
	// EndExpired: a timeout decided the outcome (its OnTimeout listeners,
	// the expired re-dispatch, a blocking Await that expired, or
	// api.ErrAsyncTimeout).
	EndExpired
	// EndClientGone: the client left, or the connection failed, before
	// the response was complete.
	EndClientGone
	// EndShutdown: the container's Shutdown expired the request or its
	// Close completed it.
	EndShutdown
)

var endNames = [...]string{"answered", "expired", "client_gone", "shutdown"}

// String returns "answered", "expired", "client_gone" or "shutdown".
func (e End) String() string {
	if int(e) < len(endNames) {
		return endNames[e]
	}
	return "unknown"
}

// Result is what a finished request sent, as the container's output saw
// it: whichever task wrote the response, and however the request ended.
// Request logs and telemetry read it from an OnComplete listener, where
// the status a dispatch left set may not be the one sent (an async task,
// a timeout listener or an error page answered after it).
type Result struct {
	// Status is the status of the response head handed to the
	// connection; 0 if none was (the connection was aborted before a head
	// could be sent). For a hijacked connection, it is the head sent
	// before it was taken (a Flush), else the status set before, which
	// the taker sends, else 101: the taker writes its own head, most
	// often an upgrade's switch.
	Status int
	// Bytes counts the body bytes handed to the connection, written by
	// whichever task: bytes buffered and then discarded (Reset, an error
	// page replacing them) do not count, nor do bodies a connection does
	// not send (HEAD, 204, 304), nor what the taker of a hijacked
	// connection writes on it.
	Bytes int64
	// End says what decided the outcome.
	End End
	// Err is the error the request ended with, the one OnComplete
	// listeners receive; nil on success.
	Err error
}

// Result returns what the finished request sent. ok is false until its
// response is finished: it is valid from the OnComplete listeners on (and
// after Done is closed). Any goroutine may call it.
func (ex *Exchange) Result() (res Result, ok bool) {
	ex.mu.Lock()
	if !ex.hasResult {
		ex.mu.Unlock()
		return Result{}, false
	}
	res = Result{End: ex.cause, Err: ex.failure}
	ex.mu.Unlock()
	res.Status, res.Bytes = ex.ch.Sent() // final since Finish returned, before hasResult was set
	return res, true
}
