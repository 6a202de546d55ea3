package h1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"
)

// FuzzChunkedNetHTTP holds the chunked decoder to net/http's reading of
// the same body, in the one direction that matters for smuggling: a body
// the decoder accepts, net/http reads as the same data, the same trailers
// and the same length, so that the bytes after it (a pipelined request)
// are the same for both. Either may refuse what the other accepts.
func FuzzChunkedNetHTTP(f *testing.F) {
	for _, tc := range chunkedCases {
		if len(tc.in) < 2048 {
			f.Add([]byte(tc.in))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		res := runDecoder(t, in, 0, 0)
		if !res.done {
			return
		}
		head := "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		br := bufio.NewReader(io.MultiReader(bytes.NewReader([]byte(head)), bytes.NewReader(in)))
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("net/http refuses the head: %v", err)
		}
		data, err := io.ReadAll(req.Body)
		if err != nil {
			// net/http refuses some bodies h1 takes (BWS before a chunk
			// extension, which RFC 9112 allows; more framing overhead than
			// it tolerates): a proxy that refuses cannot be smuggled past.
			return
		}
		if !bytes.Equal(data, res.data) {
			t.Fatalf("h1 decodes %q as %q, net/http as %q", in, res.data, data)
		}
		rest, _ := io.ReadAll(br)
		if !bytes.Equal(rest, in[res.consumed:]) {
			t.Fatalf("%q: h1 leaves %q after the body, net/http %q", in, in[res.consumed:], rest)
		}
		for i := 0; i < len(res.trailers); i += 2 {
			k, v := CanonicalKey(res.trailers[i]), res.trailers[i+1]
			found := false
			for _, hv := range req.Trailer[k] {
				found = found || hv == v
			}
			if !found {
				t.Fatalf("%q: trailer %s: %q, net/http %q", in, k, v, req.Trailer[k])
			}
		}
	})
}
