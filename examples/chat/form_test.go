package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// The form may be in the query alone: a POST whose body is empty needs no
// Content-Type, however its length is framed (a chunked body has none
// until it is read). A body without a type is still refused.
func TestFormFraming(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		target string
		head   string // the header fields after Host, each ending in CRLF
		body   string
		status int
	}{
		{name: "no body", target: "/chat/join?member=a", status: 200},
		{name: "empty, Content-Length 0", target: "/chat/join?member=b", head: "Content-Length: 0\r\n", status: 200},
		{name: "empty, chunked", target: "/chat/join?member=c", head: "Transfer-Encoding: chunked\r\n", body: "0\r\n\r\n", status: 200},
		{name: "empty, chunked, with trailers", target: "/chat/join?member=d", head: "Transfer-Encoding: chunked\r\n", body: "0\r\nX-T: 1\r\n\r\n", status: 200},
		{name: "form, chunked", target: "/chat/join", head: "Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n", body: "8\r\nmember=e\r\n0\r\n\r\n", status: 200},
		{name: "untyped, Content-Length", target: "/chat/join?member=f", head: "Content-Length: 8\r\n", body: "member=f", status: 415},
		{name: "untyped, chunked", target: "/chat/join?member=g", head: "Transfer-Encoding: chunked\r\n", body: "8\r\nmember=g\r\n0\r\n\r\n", status: 415},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			req := "POST " + tc.target + " HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n" + tc.head + "\r\n" + tc.body
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("%q: %s %q, want %d", req, resp.Status, body, tc.status)
			}
		})
	}
}
