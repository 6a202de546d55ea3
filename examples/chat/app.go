package main

import (
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/cluster"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/continuation"
)

//go:embed static/index.html
var indexHTML []byte

// Limits of the chat's inputs.
const (
	defaultPollTimeout = 10 * time.Second
	maxPollTimeout     = 60 * time.Second
	maxFormBytes       = 64 << 10
)

// newContainer builds the chat's container around rm: the page in the root
// context, the API in a "/chat" context whose error pages answer JSON. The
// tests serve the same container on their own listener.
func newContainer(rm *room, opts ...container.Option) *container.Container {
	c := container.New(opts...)
	c.HandleFunc("", index) // the context root "/" only; other paths are 404

	chat := c.Context("/chat")
	chat.HandleFunc("/join", rm.handleJoin)
	chat.HandleFunc("/poll", rm.handlePoll)
	chat.HandleFunc("/events", rm.handleEvents)
	chat.HandleFunc("/say", rm.handleSay)
	chat.HandleFunc("/leave", rm.handleLeave)
	chat.HandleFunc("/stats", rm.handleStats)
	// Handlers return errors; these pages turn them into JSON answers.
	container.ErrorPageAs[*api.StatusError](chat, api.HandlerFunc(jsonErrorPage))
	for _, status := range []int{http.StatusRequestEntityTooLarge, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		chat.ErrorPage(status, api.HandlerFunc(jsonErrorPage))
	}
	return c
}

func index(w api.Response, r *api.Request) error {
	if err := allow(r, http.MethodGet, http.MethodHead); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method() == http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(len(indexHTML)))
		return nil
	}
	_, err := w.Write(indexHTML)
	return err
}

func (rm *room) handleJoin(w api.Response, r *api.Request) error {
	name, _, err := memberForm(r)
	if err != nil {
		return err
	}
	rm.join(name)
	return writeJSON(w, http.StatusOK, okAnswer)
}

func (rm *room) handleLeave(w api.Response, r *api.Request) error {
	name, _, err := memberForm(r)
	if err != nil {
		return err
	}
	if !rm.leave(name) {
		return unknownMember(name)
	}
	return writeJSON(w, http.StatusOK, okAnswer)
}

func (rm *room) handleSay(w api.Response, r *api.Request) error {
	name, form, err := memberForm(r)
	if err != nil {
		return err
	}
	switch err := rm.say(r.Context(), name, form.Get("text")); {
	case errors.Is(err, errUnknownMember):
		return unknownMember(name)
	case errors.Is(err, cluster.ErrNotDelivered):
		// This process's members have it; the others' are lost (the bus
		// counts them). Saying it again would repeat it here.
		rm.log.Warn("chat: message not sent to the other processes", "err", err)
		return writeJSON(w, http.StatusOK, map[string]any{"ok": true, "warning": "delivered on this server only: " + err.Error()})
	case err != nil:
		return err // nobody got it: the bus is closed (shutting down)
	}
	return writeJSON(w, http.StatusOK, okAnswer)
}

// handleStats answers the room's and the bus's counts: members here, their
// polls waiting, and messages published, delivered and lost (the events a
// broker outage cost).
func (rm *room) handleStats(w api.Response, r *api.Request) error {
	if err := allow(r, http.MethodGet); err != nil {
		return err
	}
	rm.mu.Lock()
	n, polling := len(rm.members), 0
	for _, m := range rm.members {
		if m.waiter != nil {
			polling++
		}
	}
	rm.mu.Unlock()
	return writeJSON(w, http.StatusOK, map[string]any{"members": n, "polling": polling, "bus": rm.bus.Stats()})
}

// handlePoll answers queued events at once, or suspends the request until a
// say resumes it or its timeout expires. The same handler runs for every
// dispatch of the request; the continuation tells them apart.
func (rm *room) handlePoll(w api.Response, r *api.Request) error {
	name := r.QueryValue("member")
	c := continuation.Of(r)
	if !c.IsInitial() {
		// Resumed by say (the events are in the queue), resumed because a
		// newer poll superseded this one, or expired.
		superseded := r.Attribute(supersededKey{}) != nil
		return writeJSON(w, http.StatusOK, rm.redispatched(name, r.Exchange(), superseded))
	}

	if err := allow(r, http.MethodGet); err != nil {
		return err
	}
	if name == "" {
		return api.Error(http.StatusBadRequest, "member is required")
	}
	timeout := defaultPollTimeout
	if s := r.QueryValue("timeout"); s != "" {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil || ms < 0 || ms > maxPollTimeout.Milliseconds() {
			return api.Error(http.StatusBadRequest, "timeout must be an integer between 0 and 60000")
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	// The timeout must be set before the dispatch that suspends returns. A
	// zero timeout would mean "wait forever", so timeout=0 does not wait.
	if timeout > 0 {
		c.SetTimeout(timeout)
		// Added before the poll suspends: the room forgets the poll once
		// its request completes, however that ends. A client that leaves
		// while it waits completes it with no re-dispatch to unregister
		// it, and the room would count it as waiting until the next say.
		ex := r.Exchange()
		if err := async.OnComplete(r, func(error) { rm.forget(name, ex) }); err != nil {
			return err
		}
	}
	res, evs, err := rm.poll(name, r.Exchange(), c, timeout > 0)
	switch {
	case err != nil:
		return err
	case res == pollUnknown:
		return unknownMember(name)
	case res == pollAnswer:
		return writeJSON(w, http.StatusOK, evs)
	}
	return nil // suspended: a resumed or expired dispatch answers
}

// handleEvents streams the room's messages to a member that joined this
// process, as Server-Sent Events, for as long as it listens. While a
// member has a stream open, its messages are not queued for its polls.
func (rm *room) handleEvents(w api.Response, r *api.Request) error {
	if err := allow(r, http.MethodGet); err != nil {
		return err
	}
	name := r.QueryValue("member")
	if name == "" {
		return api.Error(http.StatusBadRequest, "member is required")
	}
	rm.mu.Lock()
	joined := rm.members[name] != nil
	rm.mu.Unlock()
	if !joined {
		return unknownMember(name)
	}
	if err := rm.events.Serve(w, r, eventsTopic); err != nil {
		return err
	}
	// Counted once the stream is subscribed, so that a message said
	// meanwhile is queued as well rather than lost; uncounted when the
	// request is over, however it ends (the client left, the server shut
	// down, the member left and came back).
	rm.streaming(name, true)
	if err := async.OnComplete(r, func(error) { rm.streaming(name, false) }); err != nil {
		rm.streaming(name, false) // over already
	}
	return nil
}

var okAnswer = map[string]bool{"ok": true}

func unknownMember(name string) error {
	return api.Error(http.StatusNotFound, "unknown member "+strconv.Quote(name))
}

// memberForm checks that the method is POST, parses the form and returns its
// non-empty member value.
func memberForm(r *api.Request) (string, url.Values, error) {
	if err := allow(r, http.MethodPost); err != nil {
		return "", nil, err
	}
	form, err := parseForm(r)
	if err != nil {
		return "", nil, err
	}
	name := form.Get("member")
	if name == "" {
		return "", nil, api.Error(http.StatusBadRequest, "member is required")
	}
	return name, form, nil
}

// parseForm returns the URL-encoded form in the body, followed by the query
// parameters, as net/http's Request.Form does.
func parseForm(r *api.Request) (url.Values, error) {
	form := r.Query()
	ct := r.Header().Get("Content-Type")
	if ct == "" {
		empty, err := emptyBody(r)
		if err != nil {
			return nil, err
		}
		if empty {
			return form, nil
		}
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, api.Error(http.StatusUnsupportedMediaType, "the body must be application/x-www-form-urlencoded")
	}
	b, err := io.ReadAll(io.LimitReader(r.Body(), maxFormBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFormBytes {
		return nil, api.Error(http.StatusRequestEntityTooLarge, "the form is larger than 64 KiB")
	}
	body, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, api.Error(http.StatusBadRequest, "malformed form")
	}
	for k, v := range form {
		body[k] = append(body[k], v...)
	}
	return body, nil
}

// emptyBody reports whether r's body has no bytes. A body whose length
// is not declared (chunked) may still be empty: its first byte tells, and
// one that has any is refused anyway, so what is read is not missed.
func emptyBody(r *api.Request) (bool, error) {
	if n := r.ContentLength(); n >= 0 {
		return n == 0, nil
	}
	var b [1]byte
	n, err := io.ReadFull(r.Body(), b[:])
	if n == 0 && err == io.EOF {
		return true, nil
	}
	return false, err
}

// methodError is the cause of a 405; the error page reads the allowed
// methods from it.
type methodError struct{ allowed []string }

func (e *methodError) Error() string { return "use " + strings.Join(e.allowed, " or ") }

// allow returns a 405 error unless the request's method is one of methods.
func allow(r *api.Request, methods ...string) error {
	for _, m := range methods {
		if r.Method() == m {
			return nil
		}
	}
	return &api.StatusError{Code: http.StatusMethodNotAllowed, Err: &methodError{allowed: methods}}
}

// jsonErrorPage renders a failed request of the chat API as
// {"error": "..."}. The container has set the status already; client
// errors show their cause, server errors only the status text.
func jsonErrorPage(w api.Response, r *api.Request) error {
	err := container.ErrorOf(r)
	status := w.Status()
	msg := http.StatusText(status)
	var se *api.StatusError
	if status < 500 && errors.As(err, &se) && se.Err != nil {
		msg = se.Err.Error()
	}
	var me *methodError
	if errors.As(err, &me) {
		w.Header().Set("Allow", strings.Join(me.allowed, ", "))
	}
	return writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w api.Response, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := w.SetStatus(status); err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
