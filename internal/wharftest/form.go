package wharftest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Send sends method to u through c, with form as a URL-encoded body
// unless it is nil, and returns the answer's body, read whole, and the
// answer (its body closed). A request that fails fails the test; the
// status is the caller's to check.
func Send(t testing.TB, c *http.Client, method, u string, form url.Values) (string, *http.Response) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return Do(t, c, req)
}

// Do sends req with c and returns the answer's body, read whole, and the
// answer (its body closed). A request that fails fails the test; the
// status is the caller's to check.
func Do(t testing.TB, c *http.Client, req *http.Request) (string, *http.Response) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return string(b), resp
}
