package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wharf-go/wharf/api"
)

// Limits of a post. The JSON body must hold the longest text the board
// takes however a client writes it: with every character escaped (Python's
// json.dumps does so by default), one outside the Basic Multilingual Plane
// is a surrogate pair, "\ud83d\ude00", twelve bytes, so 2,000 of them are
// 24,000.
const (
	maxTextRunes = 2000
	maxPostBytes = 32 << 10 // the JSON body of POST /api/posts
)

var (
	errNoPost    = api.Error(http.StatusNotFound, "no such post")
	errNotAuthor = api.Error(http.StatusForbidden, "only its author may change a post")
	errLoggedOut = api.Error(http.StatusUnauthorized, "log in first")
)

func (a *app) me(w api.Response, r *api.Request) error {
	user, ok := userOf(r)
	if !ok {
		return errLoggedOut
	}
	return writeJSON(w, http.StatusOK, map[string]string{"user": user})
}

func (a *app) listPosts(w api.Response, r *api.Request) error {
	return writeJSON(w, http.StatusOK, a.board.all())
}

func (a *app) getPost(w api.Response, r *api.Request) error {
	id, err := postID(r)
	if err != nil {
		return err
	}
	p, ok := a.board.get(id)
	if !ok {
		return errNoPost
	}
	return writeJSON(w, http.StatusOK, p)
}

func (a *app) createPost(w api.Response, r *api.Request) error {
	user, ok := userOf(r)
	if !ok {
		return errLoggedOut
	}
	text, err := readPostText(r)
	if err != nil {
		return err
	}
	p, dropped, err := a.board.add(user, text)
	// The oldest posts make room for it: their files go with them.
	for _, att := range dropped {
		a.removeAttachment(att)
	}
	if err != nil {
		// The event log refused it (the broker is closing, or NATS is
		// out of reach): nothing was made, and the client may try again.
		// (Should NATS store the event but its acknowledgment come too
		// late, the event goes out without its post.)
		return &api.StatusError{Code: http.StatusServiceUnavailable, Err: err}
	}
	w.Header().Set("Location", "/api/posts/"+strconv.FormatInt(p.ID, 10))
	return writeJSON(w, http.StatusCreated, p)
}

func (a *app) deletePost(w api.Response, r *api.Request) error {
	user, ok := userOf(r)
	if !ok {
		return errLoggedOut
	}
	id, err := postID(r)
	if err != nil {
		return err
	}
	atts, err := a.board.remove(id, user)
	if err != nil {
		return err
	}
	// A deleted post's files go with it: they are no longer served.
	for _, att := range atts {
		a.removeAttachment(att)
	}
	return w.SetStatus(http.StatusNoContent)
}

// readPostText decodes {"text": "..."} and checks the text. Every refusal
// says what to fix, since the page shows it as is.
func readPostText(r *api.Request) (string, error) {
	if mt, _, err := mime.ParseMediaType(r.Header().Get("Content-Type")); err != nil || mt != "application/json" {
		return "", api.Error(http.StatusUnsupportedMediaType, `send the post as application/json: {"text": "..."}`)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body(), maxPostBytes+1))
	if err != nil {
		return "", err
	}
	if len(body) > maxPostBytes {
		return "", api.Error(http.StatusRequestEntityTooLarge, "a post's JSON must fit in "+strconv.Itoa(maxPostBytes>>10)+" KiB")
	}
	var in struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return "", api.Error(http.StatusBadRequest, "malformed JSON at byte "+strconv.FormatInt(syn.Offset, 10)+": "+syn.Error())
		case errors.As(err, &typ) && typ.Field == "text":
			return "", api.Error(http.StatusBadRequest, `"text" must be a string`)
		case errors.As(err, &typ):
			// An array, a string, a number: not an object at all.
			return "", api.Error(http.StatusBadRequest, `send a JSON object: {"text": "..."}`)
		}
		return "", api.Error(http.StatusBadRequest, "malformed JSON: "+err.Error())
	}
	if in.Text == nil {
		return "", api.Error(http.StatusBadRequest, `the JSON object needs a "text" field`)
	}
	// A form's textarea sends its line breaks as CRLF; the board keeps
	// one kind.
	text := strings.ReplaceAll(strings.TrimSpace(*in.Text), "\r\n", "\n")
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return "", api.Error(http.StatusBadRequest, "the text is empty")
	case n > maxTextRunes:
		return "", api.Error(http.StatusBadRequest, "the text is longer than "+strconv.Itoa(maxTextRunes)+" characters")
	}
	if i := strings.IndexFunc(text, isControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(text[i:])
		return "", api.Error(http.StatusBadRequest, fmt.Sprintf("the text holds the control character %U: only line breaks and tabs may be in it", r))
	}
	return text, nil
}

// isControl reports the control characters a post may not hold: every one
// but the line break and the tab, which a text area types. The page shows
// a post as text, so none of them is a danger to it; but a NUL, a lone
// carriage return or a terminal's escape sequence is no part of a message,
// and would reach every other client of the API and of GET /events as is
// (a terminal that prints a post would obey it).
func isControl(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\t'
}

// postID reads the {id} of the path. An id that is no number names no
// post, so it is a 404 like any unknown one.
func postID(r *api.Request) (int64, error) {
	// One post, one URL: "01" and "+1" are not post 1.
	s := r.PathParam("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(id, 10) != s {
		return 0, errNoPost
	}
	return id, nil
}
