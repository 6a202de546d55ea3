//go:build !windows

package static_test

import (
	"bufio"
	"bytes"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/gzip"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
)

// bigDir writes a directory with one file of size random bytes.
func bigDir(t testing.TB, size int) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	content := make([]byte, size)
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range content {
		content[i] = byte(rnd.UintN(256))
	}
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "page.txt"), bytes.Repeat([]byte("text compresses well. "), 500), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, content
}

// A file of an OS directory arrives whole, in a range, and as HEAD, on
// every protocol: sent with sendfile(2) where the connection writes
// without blocking, copied elsewhere; and through a compressing filter,
// which the sendfile path must not go around.
func TestDirModes(t *testing.T) {
	dir, content := bigDir(t, 3<<20+5)
	build := func(c *container.Container) {
		c.Handle("/files/*", dirHandler(t, dir))
		c.Filter("/gz/*", gzip.New(gzip.Config{}))
		c.Handle("/gz/*", dirHandler(t, dir))
	}
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		resp, body := get(t, s, "GET", "/files/big.bin")
		if resp.StatusCode != 200 || !bytes.Equal(body, content) || resp.ContentLength != int64(len(content)) {
			t.Fatalf("GET: %d, %d bytes (equal %v), Content-Length %d", resp.StatusCode, len(body), bytes.Equal(body, content), resp.ContentLength)
		}
		resp, body = get(t, s, "GET", "/files/big.bin", "Range", "bytes=1000000-2000000")
		if resp.StatusCode != 206 || !bytes.Equal(body, content[1000000:2000001]) {
			t.Fatalf("Range: %d, %d bytes", resp.StatusCode, len(body))
		}
		resp, body = get(t, s, "HEAD", "/files/big.bin")
		if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(content)) {
			t.Fatalf("HEAD: %d, %d bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
		}
		want, _ := os.ReadFile(filepath.Join(dir, "page.txt"))
		resp, body = get(t, s, "GET", "/gz/page.txt", "Accept-Encoding", "gzip")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("through gzip: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if got := gunzip(t, body); !bytes.Equal(got, want) {
			t.Fatalf("through gzip: %d bytes after gunzip, want %d", len(got), len(want))
		}
	})
}

// Slow downloads of an OS directory's file hold no goroutine on the epoll
// connector: with 40 clients that have read one byte each, the server's
// goroutines come back to their count before the downloads, and each
// download then completes whole.
func TestSlowDownloadsHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the epoll connector is Linux's")
	}
	const clients = 40
	dir, content := bigDir(t, 4<<20)
	// The downloads are read one after another, so the last one stalls
	// while the others are read: longer than the default WriteTimeout
	// under the race detector on a busy machine.
	c := container.New(container.WithConnector(connector.Config{WriteTimeout: 10 * time.Minute}))
	c.Handle("/files/*", dirHandler(t, dir))
	s := modes.Start(t, modes.H1, c)
	addr := s.URL[len("http://"):]
	// Goroutines the executor keeps idle for its next tasks are nobody's:
	// under load the strategy hands more requests to it, and up to its
	// idle limit of them stay a while.
	counted := func() int {
		ex := c.Stats().Executor
		return runtime.NumGoroutine() - (ex.Workers - ex.Busy)
	}
	base := counted()
	d := wharftest.SmallReceiveBuffer(8 << 10)
	conns := make([]net.Conn, clients)
	for i := range conns {
		nc, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		fmt.Fprintf(nc, "GET /files/big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
		conns[i] = nc
	}
	for _, nc := range conns {
		if _, err := io.ReadFull(nc, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
	}
	wharftest.WaitFor(t, "the stalled downloads to hold no goroutine", func() bool {
		return counted() <= base+5
	})
	for i, nc := range conns {
		nc.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufioReader(io.MultiReader(bytes.NewReader([]byte("H")), nc)), nil)
		if err != nil {
			t.Fatalf("download %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(body, content) {
			t.Fatalf("download %d: %d bytes, %v", i, len(body), err)
		}
	}
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := stdgzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
