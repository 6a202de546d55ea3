package formdata_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/formdata"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestTempFilesRemoved counts the temporary directory after uploads that
// complete, fail in the handler, are refused by a limit halfway, are
// cancelled by the client (an HTTP/2 or HTTP/3 stream reset), expire
// (async timeout) and are abandoned by the client in the middle of the
// body: every spooled file is gone each time, in both styles.
func TestTempFilesRemoved(t *testing.T) {
	var dir string
	build := func(c *container.Container) {
		dir = t.TempDir()
		lim := formdata.Limits{TempDir: dir, MemoryThreshold: 1, MaxFileBytes: 64 << 10}
		answer := func(w api.Response, f *formdata.Form, r *api.Request) error {
			if r.QueryValue("fail") != "" {
				return errors.New("the handler fails after the parse")
			}
			_, err := fmt.Fprintf(w, "%d files", len(f.Files("f")))
			return err
		}
		c.HandleFunc("POST /blocking", func(w api.Response, r *api.Request) error {
			f, err := formdata.Parse(r, lim)
			if err != nil {
				return err
			}
			return answer(w, f, r)
		})
		c.HandleFunc("POST /async", func(w api.Response, r *api.Request) error {
			ac, err := formdata.ParseAsync(r, lim, func(w api.Response, f *formdata.Form, err error) error {
				if err != nil {
					return err
				}
				return answer(w, f, r)
			})
			if ac != nil && r.QueryValue("expire") != "" {
				ac.SetTimeout(500 * time.Millisecond) // long enough to spool the first half
			}
			return err
		})
	}
	body, ct := multipartBody(
		upload{name: "f", filename: "a.bin", content: strings.Repeat("a", 20<<10)},
		upload{name: "f", filename: "b.bin", content: strings.Repeat("b", 20<<10)},
	)
	overLimit, overCT := multipartBody(
		upload{name: "f", filename: "a.bin", content: strings.Repeat("a", 20<<10)},
		upload{name: "f", filename: "c.bin", content: strings.Repeat("c", 65<<10)},
	)
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, style := range []string{"/blocking", "/async"} {
			for _, tt := range []struct {
				query string
				body  []byte
				ct    string
				code  int
			}{
				{"", body, ct, 200},
				{"?fail=1", body, ct, 500},
				{"", overLimit, overCT, 413},
			} {
				if code, got := post(t, s, style+tt.query, tt.ct, tt.body); code != tt.code {
					t.Errorf("%s%s = %d %q, want %d", style, tt.query, code, got, tt.code)
				}
				waitEmpty(t, dir)
			}
		}
		// Reset: the client cancels once a file is spooled, which on
		// HTTP/2 and HTTP/3 resets the stream (and on HTTP/1.1 closes the
		// connection).
		for _, style := range []string{"/blocking", "/async"} {
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+style, pr)
			req.ContentLength = int64(len(body))
			req.Header.Set("Content-Type", ct)
			sent := make(chan error, 1)
			go func() {
				resp, err := s.Client.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				sent <- err
			}()
			go pw.Write(body[:len(body)/2])
			waitFiles(t, dir)
			cancel()
			pw.CloseWithError(context.Canceled)
			<-sent
			waitEmpty(t, dir)
		}
		// The rest sends half a body over raw HTTP/1.1.
		half := func(path string) (*bufio.Reader, func() error) {
			nc := s.DialHTTP1(t)
			nc.SetDeadline(time.Now().Add(20 * time.Second))
			fmt.Fprintf(nc, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", path, ct, len(body))
			nc.Write(body[:len(body)/2])
			return bufio.NewReader(nc), nc.Close
		}
		// Expired: the async timeout answers while the body is half sent.
		// (net/http's server reads the rest of a body before it answers,
		// so there the answer would wait for a body that never comes.)
		if s.Mode != modes.NetHTTP {
			br, closeConn := half("/async?expire=1")
			waitFiles(t, dir)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 500 {
				t.Errorf("expired upload = %d, want 500", resp.StatusCode)
			}
			waitEmpty(t, dir)
			closeConn()
		}
		// Abandoned: the client leaves once a file is spooled.
		for _, style := range []string{"/blocking", "/async"} {
			_, closeConn := half(style)
			waitFiles(t, dir)
			closeConn()
			waitEmpty(t, dir)
		}
	})
}

// TestRemovedAfterCompletion: a FileHeader kept past its request opens
// nothing: Open and SaveTo report ErrRemoved.
func TestRemovedAfterCompletion(t *testing.T) {
	kept := make(chan *formdata.FileHeader, 2)
	build := func(c *container.Container) {
		c.HandleFunc("POST /", func(w api.Response, r *api.Request) error {
			f, err := formdata.Parse(r, formdata.Limits{TempDir: t.TempDir(), MemoryThreshold: 4})
			if err != nil {
				return err
			}
			kept <- f.File("disk")
			kept <- f.File("mem")
			return nil
		})
	}
	body, ct := multipartBody(upload{name: "disk", filename: "d", content: "0123456789"}, upload{name: "mem", filename: "m", content: "012"})
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if code, _ := post(t, s, "/", ct, body); code != 200 {
			t.Fatalf("POST = %d", code)
		}
		for range 2 {
			fh := <-kept
			deadline := time.Now().Add(10 * time.Second)
			for {
				_, err := fh.Open()
				if errors.Is(err, formdata.ErrRemoved) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("Open of %s after completion: %v", fh.Filename, err)
				}
				time.Sleep(time.Millisecond) // a bounded poll: completion follows the answer
			}
			if err := fh.SaveTo(t.TempDir() + "/x"); !errors.Is(err, formdata.ErrRemoved) {
				t.Errorf("SaveTo of %s after completion: %v", fh.Filename, err)
			}
		}
	})
}

// TestSaveToReplaces: SaveTo over an existing file leaves the upload's
// bytes with mode 0600, whatever the old file's mode: an upload never
// becomes readable by others through the file it replaced.
func TestSaveToReplaces(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	dest := t.TempDir()
	saved := make(chan error, 2)
	c := container.New()
	c.HandleFunc("POST /", func(w api.Response, r *api.Request) error {
		f, err := formdata.Parse(r, formdata.Limits{TempDir: t.TempDir(), MemoryThreshold: 4})
		if err != nil {
			return err
		}
		saved <- f.File("disk").SaveTo(filepath.Join(dest, "disk"))
		saved <- f.File("mem").SaveTo(filepath.Join(dest, "mem"))
		return nil
	})
	s := modes.Start(t, modes.H1, c)
	for _, name := range []string{"disk", "mem"} {
		if err := os.WriteFile(filepath.Join(dest, name), []byte("old contents"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	body, ct := multipartBody(upload{name: "disk", filename: "d", content: "0123456789"}, upload{name: "mem", filename: "m", content: "012"})
	if code, _ := post(t, s, "/", ct, body); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	for range 2 {
		if err := <-saved; err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{"disk": "0123456789", "mem": "012"} {
		path := filepath.Join(dest, name)
		b, err := os.ReadFile(path)
		if err != nil || string(b) != want {
			t.Fatalf("%s: %q, %v", name, b, err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %o, want 600", name, mode)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dest, ".formdata-save-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestSaveToTwice: each SaveTo keeps the file at its path, so saving one
// upload to two paths leaves two copies, whether it was spooled to disk or
// kept in memory; a second SaveTo of a spooled file once moved the first
// copy away.
func TestSaveToTwice(t *testing.T) {
	for _, tc := range []struct {
		name      string
		threshold int64
	}{
		{"disk", 1},
		{"memory", 1 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := t.TempDir()
			saved := make(chan error, 2)
			c := container.New()
			c.HandleFunc("POST /", func(w api.Response, r *api.Request) error {
				f, err := formdata.Parse(r, formdata.Limits{TempDir: t.TempDir(), MemoryThreshold: tc.threshold})
				if err != nil {
					return err
				}
				fh := f.File("f")
				saved <- fh.SaveTo(filepath.Join(dest, "first"))
				saved <- fh.SaveTo(filepath.Join(dest, "second"))
				return nil
			})
			s := modes.Start(t, modes.H1, c)
			body, ct := multipartBody(upload{name: "f", filename: "f.txt", content: "0123456789"})
			if code, _ := post(t, s, "/", ct, body); code != 200 {
				t.Fatalf("POST = %d", code)
			}
			for range 2 {
				if err := <-saved; err != nil {
					t.Fatal(err)
				}
			}
			for _, name := range []string{"first", "second"} {
				if b, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(b) != "0123456789" {
					t.Errorf("%s: %q, %v", name, b, err)
				}
			}
		})
	}
}
