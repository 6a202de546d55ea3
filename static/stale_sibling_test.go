package static_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/internal/modes"
	"github.com/wharf-go/wharf/static"
)

// TestStaleSiblingNotServed: a precompressed sibling older than the file
// it compresses (the file edited, the sibling not rebuilt) is not served:
// the file itself answers, with its own ETag and Last-Modified, and with
// "Vary: Accept-Encoding" still, since the sibling is there; a fresher
// sibling of the other coding answers instead. A sibling as new as the
// file, or newer, is served as before, and one that is a directory is
// ignored. Mtimes are set with os.Chtimes on a Dir, over real sockets on
// every mode. Before, the stale sibling's old content went out.
func TestStaleSiblingNotServed(t *testing.T) {
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	older, newer := base.Add(-time.Hour), base.Add(time.Hour)
	type sibling struct {
		ext  string
		mod  time.Time
		body string // "": a directory
	}
	tests := []struct {
		name     string
		siblings []sibling
		accept   string
		body     string // what is served
		coding   string // its Content-Encoding
		vary     bool
	}{
		{"newer gz", []sibling{{".gz", newer, "GZ"}}, "gzip", "GZ", "gzip", true},
		{"gz as new as the file", []sibling{{".gz", base, "GZ"}}, "gzip", "GZ", "gzip", true},
		{"stale gz", []sibling{{".gz", older, "OLD GZ"}}, "gzip", "current", "", true},
		{"stale gz, br and gzip accepted", []sibling{{".gz", older, "OLD GZ"}}, "br, gzip", "current", "", true},
		{"stale br, newer gz", []sibling{{".br", older, "OLD BR"}, {".gz", newer, "GZ"}}, "br, gzip", "GZ", "gzip", true},
		{"newer br, stale gz", []sibling{{".br", newer, "BR"}, {".gz", older, "OLD GZ"}}, "gzip", "current", "", true},
		{"both stale", []sibling{{".br", older, "OLD BR"}, {".gz", older, "OLD GZ"}}, "br, gzip", "current", "", true},
		{"gz a directory", []sibling{{".gz", newer, ""}}, "gzip", "current", "", false},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		name := filepath.Join(dir, fileName(i))
		if err := os.WriteFile(name, []byte("current"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, s := range tt.siblings {
			var err error
			if s.body == "" {
				err = os.Mkdir(name+s.ext, 0o755)
			} else {
				err = os.WriteFile(name+s.ext, []byte(s.body), 0o644)
			}
			if err == nil {
				err = os.Chtimes(name+s.ext, s.mod, s.mod)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(name, base, base); err != nil {
			t.Fatal(err)
		}
	}
	h, err := static.Dir(dir, static.Config{})
	if err != nil {
		t.Fatal(err)
	}
	build := func(c *container.Container) { c.Handle("/*", h) }
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for i, tt := range tests {
			resp, body := get(t, s, "GET", "/"+fileName(i), "Accept-Encoding", tt.accept)
			hdr := resp.Header
			if resp.StatusCode != 200 || string(body) != tt.body || hdr.Get("Content-Encoding") != tt.coding {
				t.Errorf("%s: %d %q Content-Encoding %q, want 200 %q %q", tt.name, resp.StatusCode, body, hdr.Get("Content-Encoding"), tt.body, tt.coding)
			}
			if got := hdr.Get("Vary") == "Accept-Encoding"; got != tt.vary {
				t.Errorf("%s: Vary %q, want Accept-Encoding: %v", tt.name, hdr.Get("Vary"), tt.vary)
			}
			// The validators are those of the bytes sent: the file's
			// own time and an ETag without a coding, or the sibling's.
			etag := hdr.Get("Etag")
			if tagged := strings.HasSuffix(etag, `-`+tt.coding+`"`); tt.coding != "" && !tagged || tt.coding == "" && (strings.HasSuffix(etag, `-gzip"`) || strings.HasSuffix(etag, `-br"`)) {
				t.Errorf("%s: ETag %s for Content-Encoding %q", tt.name, etag, tt.coding)
			}
			wantMod := base
			for _, sib := range tt.siblings {
				if tt.coding != "" && sib.ext == map[string]string{"gzip": ".gz", "br": ".br"}[tt.coding] {
					wantMod = sib.mod
				}
			}
			if lm := hdr.Get("Last-Modified"); lm != wantMod.Format(http.TimeFormat) {
				t.Errorf("%s: Last-Modified %s, want %s", tt.name, lm, wantMod.Format(http.TimeFormat))
			}
			// A revalidation with that ETag is answered 304: the
			// representation it names is the one this URL serves.
			resp, _ = get(t, s, "GET", "/"+fileName(i), "Accept-Encoding", tt.accept, "If-None-Match", etag)
			if resp.StatusCode != http.StatusNotModified {
				t.Errorf("%s: If-None-Match %s = %d, want 304", tt.name, etag, resp.StatusCode)
			}
		}
	})
}

// fileName is the name of test i's file, a type by its extension.
func fileName(i int) string { return "f" + string(rune('a'+i)) + ".css" }
