package requestlog_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/filters/requestlog"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/internal/wharftest"
	"github.com/wharf-go/wharf/static"
)

// A static file large enough to go out with sendfile(2), on the epoll
// connector, is logged with the bytes the client received, as a body
// written through the Response is: both records, slog's and the
// combined line, count what the file handler sent after it returned.
func TestSendfileBytes(t *testing.T) {
	dir := t.TempDir()
	file := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB, past static's copyMax
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := static.Dir(dir, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	var logs *wharftest.LogRecorder
	combined := &lines{t: t}
	c := container.New(modes.Options(modes.H1)...) // epoll on Linux
	c.FilterFirst("/*", requestlog.New(requestlog.Config{Logger: slogFor(&logs)}))
	c.FilterFirst("/*", requestlog.New(requestlog.Config{Format: requestlog.FormatCombined, Writer: combined}))
	c.Handle("/*", files)
	s := modes.Start(t, modes.H1, c)

	resp, err := s.Client.Get(s.URL + "/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, file) {
		t.Fatalf("GET /big.bin: %d, %d bytes, %v; want 200 and the file's %d", resp.StatusCode, len(body), err, len(file))
	}
	rec := waitRecord(t, logs, "GET", "/big.bin")
	if got := rec.Attrs["bytes"].Any(); got != int64(len(file)) {
		t.Errorf("slog record: bytes = %v, want %d", got, len(file))
	}
	wharftest.WaitFor(t, "the combined line", func() bool { return len(combined.snapshot()) > 0 })
	if got, want := combined.snapshot(), `"GET /big.bin HTTP/1.1" 200 1048576 `; len(got) != 1 || !strings.Contains(got[0], want) {
		t.Errorf("combined lines %q, want one with %q", got, want)
	}
}
