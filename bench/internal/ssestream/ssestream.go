// Package ssestream is the client side of the Server-Sent Events
// benchmark: a minimal text/event-stream parser (the WHATWG framing: id:,
// event:, data: fields, comments, events ended by a blank line) and a
// stream opened with a plain HTTP/1.1 GET on a TCP connection of its own.
// The main module's internal/ssewire cannot be imported from here (bench
// is a module of its own), so the few lines it takes are written again.
package ssestream

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Event is one dispatched event.
type Event struct {
	ID, Type, Data string
	HasID          bool // an id: field came with it
}

// Parser turns the lines of an event stream into events. Its zero value
// is ready.
type Parser struct {
	id, typ string
	data    []byte
	hasID   bool
	hasData bool
}

// Line feeds one line, without its terminator (LF or CRLF; a trailing CR
// is dropped). It returns an event, and true, when the line is the blank
// line that ends one that has data; an event with no data line is
// dropped, as the standard says.
func (p *Parser) Line(line []byte) (Event, bool) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) == 0 {
		if !p.hasData {
			p.typ, p.hasID = "", false
			return Event{}, false
		}
		ev := Event{ID: p.id, Type: p.typ, Data: string(p.data), HasID: p.hasID}
		p.typ, p.data, p.hasData, p.hasID = "", p.data[:0], false, false
		return ev, true
	}
	if line[0] == ':' {
		return Event{}, false // a comment (a heartbeat)
	}
	field, value, ok := bytes.Cut(line, []byte{':'})
	if ok && len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	switch string(field) {
	case "data":
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.id, p.hasID = string(value), true
		}
	case "event":
		p.typ = string(value)
	}
	return Event{}, false
}

// Stream is an open event stream.
type Stream struct {
	Conn net.Conn
	body *bufio.Reader
	p    Parser
}

// Open dials addr (host:port) and sends GET path on HTTP/1.1; it returns
// once the answer's head has come, a 200 with the type text/event-stream.
func Open(ctx context.Context, addr, path string, timeout time.Duration) (*Stream, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nAccept: text/event-stream\r\nUser-Agent: wharf-sseload\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 2048)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		c.Close()
		return nil, fmt.Errorf("GET %s: %s, Content-Type %q", path, resp.Status, resp.Header.Get("Content-Type"))
	}
	_ = c.SetDeadline(time.Time{})
	// resp.Body undoes the chunked encoding.
	return &Stream{Conn: c, body: bufio.NewReaderSize(resp.Body, 2048)}, nil
}

// Next reads up to the next event.
func (s *Stream) Next() (Event, error) {
	for {
		line, err := s.body.ReadSlice('\n')
		if err != nil {
			if err == bufio.ErrBufferFull {
				return Event{}, fmt.Errorf("a line longer than %d bytes", s.body.Size())
			}
			return Event{}, err
		}
		if ev, ok := s.p.Line(line[:len(line)-1]); ok {
			return ev, nil
		}
	}
}

// Close closes the connection.
func (s *Stream) Close() error { return s.Conn.Close() }
