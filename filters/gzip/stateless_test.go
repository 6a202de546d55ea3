package gzip_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// A body written in one WriteString compresses as well as the same body
// written in one Write, at every level: StatelessCompression compresses
// each write on its own (klauspost's gzip keeps no state between them),
// so the pieces the filter copies a string through must not be smaller
// than the blocks the compressor makes of one write. They were 4 KiB, and
// at StatelessCompression a page sent with WriteString came out larger
// than with Write, each piece without the history of the others.
func TestWriteStringCompressesAsWrite(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 300_000; i++ {
		b.WriteString("<tr><td>row " + strconv.Itoa(i%97) + "</td><td>a cell of the table</td></tr>\n")
	}
	page := b.String()
	for _, level := range []int{gzip.StatelessCompression, gzip.BestSpeed, gzip.DefaultCompression, gzip.HuffmanOnly} {
		t.Run(strconv.Itoa(level), func(t *testing.T) {
			sizes := map[string]int{}
			for _, how := range []string{"Write", "WriteString"} {
				h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
					w.Header().Set("Content-Type", "text/html")
					var err error
					if how == "Write" {
						_, err = w.Write([]byte(page))
					} else {
						_, err = w.WriteString(page)
					}
					return err
				}), gzip.New(gzip.Config{Level: level}))
				w := wharftest.NewRecorder()
				if err := h.Serve(w, wharftest.Request("GET", "/", "Accept-Encoding", "gzip")); err != nil {
					t.Fatal(err)
				}
				if got := gunzip(t, w.BodyBytes()); got != page {
					t.Fatalf("%s: body differs: %d bytes, want %d", how, len(got), len(page))
				}
				sizes[how] = len(w.BodyBytes())
			}
			if sizes["WriteString"] > sizes["Write"]+sizes["Write"]/100 {
				t.Errorf("the page compressed to %d bytes with WriteString, %d with Write", sizes["WriteString"], sizes["Write"])
			}
		})
	}
}
