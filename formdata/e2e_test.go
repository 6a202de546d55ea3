package formdata_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/connector"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/formdata"
	"github.com/wharf-go/wharf/internal/modes"
)

// summary describes a form: its fields, then its files with their size,
// a digest of their contents and where they were kept.
func summary(f *formdata.Form) (string, error) {
	var lines []string
	for name, vs := range f.Values {
		for _, v := range vs {
			lines = append(lines, fmt.Sprintf("field %s=%q", name, v))
		}
	}
	for _, name := range f.FileFields() {
		for _, fh := range f.Files(name) {
			rc, err := fh.Open()
			if err != nil {
				return "", err
			}
			h := sha256.New()
			n, err := io.Copy(h, rc)
			rc.Close()
			if err != nil {
				return "", err
			}
			_, onDisk := rc.(*os.File)
			lines = append(lines, fmt.Sprintf("file %s=%q size=%d/%d sha=%x disk=%v type=%s", name, fh.Filename, fh.Size, n, h.Sum(nil)[:4], onDisk, fh.Header.Get("Content-Type")))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n"), nil
}

// upload is one part of a multipart body to send.
type upload struct {
	name, filename, content string
}

// multipartBody encodes parts with mime/multipart's Writer.
func multipartBody(parts ...upload) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		if p.filename != "" {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
			h.Set("Content-Type", "application/octet-stream")
			w, _ = mw.CreatePart(h)
		} else {
			w, _ = mw.CreateFormField(p.name)
		}
		io.WriteString(w, p.content)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// serveForms mounts both styles at /blocking/NAME and /async/NAME for
// each named Limits; each answers the form's summary. done counts the
// requests whose handling ended, for tests that wait for it.
func serveForms(c *container.Container, limits map[string]formdata.Limits) {
	for name, lim := range limits {
		c.HandleFunc("/blocking/"+name, func(w api.Response, r *api.Request) error {
			f, err := formdata.Parse(r, lim)
			if err != nil {
				return err
			}
			s, err := summary(f)
			if err != nil {
				return err
			}
			_, err = io.WriteString(w, s)
			return err
		})
		c.HandleFunc("/async/"+name, func(w api.Response, r *api.Request) error {
			_, err := formdata.ParseAsync(r, lim, func(w api.Response, f *formdata.Form, err error) error {
				if err != nil {
					return err
				}
				s, err := summary(f)
				if err != nil {
					return err
				}
				_, err = io.WriteString(w, s)
				return err
			})
			return err
		})
	}
}

// post sends body and returns the status and the answer.
func post(t *testing.T, s *modes.Server, path, contentType string, body []byte) (int, string) {
	t.Helper()
	resp, err := s.Client.Post(s.URL+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitEmpty waits, bounded, until dir holds no file, and fails the test
// with what is left otherwise. The files go when the request completes,
// which may be just after the client has read its answer.
func waitEmpty(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d temporary files left in %s, e.g. %s", len(ents), dir, ents[0].Name())
		}
		time.Sleep(time.Millisecond) // a bounded poll of the condition
	}
}

// waitFiles waits, bounded, until dir holds at least one file: a spooled
// upload is under way.
func waitFiles(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ents, _ := os.ReadDir(dir)
		if len(ents) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no temporary file appeared in %s", dir)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestUpload: fields, a file kept in memory and one spooled to disk, in
// both styles on every protocol, read back whole; the temporary files are
// gone once the requests complete.
func TestUpload(t *testing.T) {
	var dir string
	build := func(c *container.Container) {
		dir = t.TempDir()
		serveForms(c, map[string]formdata.Limits{"default": {TempDir: dir}})
	}
	big := strings.Repeat("0123456789abcdef", 8<<10) // 128 KiB: over the 32 KiB threshold
	body, ct := multipartBody(
		upload{name: "title", content: "hello, world"},
		upload{name: "tag", content: "a"},
		upload{name: "tag", content: "b"},
		upload{name: "small", filename: "../../etc/small.txt", content: "tiny"},
		upload{name: "big", filename: "big.bin", content: big},
		upload{name: "", content: "no name: skipped"},
	)
	want := func() string {
		sum := func(s string) string { h := sha256.Sum256([]byte(s)); return fmt.Sprintf("%x", h[:4]) }
		lines := []string{
			`field tag="a"`, `field tag="b"`, `field title="hello, world"`,
			fmt.Sprintf(`file small="small.txt" size=4/4 sha=%s disk=false type=application/octet-stream`, sum("tiny")),
			fmt.Sprintf(`file big="big.bin" size=%d/%d sha=%s disk=true type=application/octet-stream`, len(big), len(big), sum(big)),
		}
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}()
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, style := range []string{"blocking", "async"} {
			code, got := post(t, s, "/"+style+"/default", ct, body)
			if code != 200 || got != want {
				t.Errorf("%s: %d\n%s\nwant\n%s", style, code, got, want)
			}
		}
		waitEmpty(t, dir)
	})
}

// TestURLEncoded: one call serves a URL-encoded body too, under the
// container's form limit; and Request.Form's own 413 and 400 reach the
// client.
func TestURLEncoded(t *testing.T) {
	build := func(c *container.Container) {
		serveForms(c, map[string]formdata.Limits{"default": {}})
		c.HandleFunc("POST /form", func(w api.Response, r *api.Request) error {
			form, err := r.Form()
			if err != nil {
				return err
			}
			_, err = io.WriteString(w, form.Get("a"))
			return err
		})
	}
	const ct = "application/x-www-form-urlencoded"
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/blocking/default", "/async/default"} {
			if code, got := post(t, s, path, ct, []byte("a=1&b=x+y&a=2")); code != 200 || got != "field a=\"1\"\nfield a=\"2\"\nfield b=\"x y\"" {
				t.Errorf("%s: %d %q", path, code, got)
			}
			if code, got := post(t, s, path, ct, []byte("a="+strings.Repeat("x", 100))); code != 413 || !strings.Contains(got, "form body over 64 bytes") {
				t.Errorf("%s over WithMaxFormBytes: %d %q", path, code, got)
			}
			if code, _ := post(t, s, path, ct, []byte("a=%zz")); code != 400 {
				t.Errorf("%s malformed: %d, want 400", path, code)
			}
			// Only POST, PUT and PATCH bodies are forms (as
			// Request.PostForm): another method's is neither read nor
			// held to the limit, in both styles.
			req, _ := http.NewRequest("DELETE", s.URL+path, strings.NewReader("a="+strings.Repeat("x", 100)))
			req.Header.Set("Content-Type", ct)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || len(got) != 0 {
				t.Errorf("%s DELETE with a form body over the limit: %d %q, want 200 and an empty form", path, resp.StatusCode, got)
			}
		}
		if code, got := post(t, s, "/form", ct, []byte("a=ok")); code != 200 || got != "ok" {
			t.Errorf("Request.Form: %d %q", code, got)
		}
		if code, _ := post(t, s, "/form", ct, []byte("a="+strings.Repeat("x", 100))); code != 413 {
			t.Errorf("Request.Form over WithMaxFormBytes: %d, want 413", code)
		}
		if code, got := post(t, s, "/form", ct, []byte("a=%zz")); code != 400 || !strings.Contains(got, "malformed form body") {
			t.Errorf("Request.Form malformed: %d %q, want 400", code, got)
		}
	}, container.WithMaxFormBytes(64))
}

// TestURLEncodedSharesRequestForm: a URL-encoded body is the exchange's
// one body form in both styles. A handler that read Request.FormValue
// first (for a query parameter, say) still gets the body's fields, though
// the body is spent; and Request.FormValue after the parse sees them.
// ParseAsync once read the spent body as an empty form, and left the
// exchange's form to a second read of the body, which found nothing.
func TestURLEncodedSharesRequestForm(t *testing.T) {
	build := func(c *container.Container) {
		answer := func(w api.Response, r *api.Request, f *formdata.Form) error {
			_, err := fmt.Fprintf(w, "form %q, request %q", f.Value("a"), r.FormValue("a"))
			return err
		}
		c.HandleFunc("POST /blocking", func(w api.Response, r *api.Request) error {
			if r.QueryValue("before") != "" {
				r.FormValue("q")
			}
			f, err := formdata.Parse(r, formdata.Limits{})
			if err != nil {
				return err
			}
			return answer(w, r, f)
		})
		c.HandleFunc("POST /async", func(w api.Response, r *api.Request) error {
			if r.QueryValue("before") != "" {
				r.FormValue("q")
			}
			_, err := formdata.ParseAsync(r, formdata.Limits{}, func(w api.Response, f *formdata.Form, err error) error {
				if err != nil {
					return err
				}
				return answer(w, r, f)
			})
			return err
		})
	}
	const want = `form "1", request "1"`
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, path := range []string{"/blocking", "/async", "/blocking?before=1", "/async?before=1"} {
			if code, got := post(t, s, path, "application/x-www-form-urlencoded", []byte("a=1")); code != 200 || got != want {
				t.Errorf("%s: %d %s, want 200 %s", path, code, got, want)
			}
		}
	})
}

// TestConnectorBodyLimit: a body of unknown length over the connector's
// MaxBodyBytes is a 413 in both styles, though the whole of it, final
// delimiter and all, may arrive in one read. The body's read handed over
// the bytes past the limit along with its error, and ParseAsync, which
// finishes at the final delimiter, took the body for a whole one. The
// answer names that limit, as a Limits one names itself: it was a bare
// "413 Request Entity Too Large", the error no *api.StatusError.
func TestConnectorBodyLimit(t *testing.T) {
	build := func(c *container.Container) {
		serveForms(c, map[string]formdata.Limits{"default": {TempDir: t.TempDir()}})
	}
	body, ct := multipartBody(upload{name: "f", filename: "f.bin", content: strings.Repeat("z", 900)})
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		if s.Mode == modes.NetHTTP {
			t.Skip("net/http's server, not the connector, reads the body")
		}
		for _, style := range []string{"blocking", "async"} {
			req, _ := http.NewRequest("POST", s.URL+"/"+style+"/default", io.MultiReader(bytes.NewReader(body)))
			req.ContentLength = -1 // no declared length: the limit stops the read
			req.Header.Set("Content-Type", ct)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", style, err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			const want = "413 Request Entity Too Large: formdata: body over the connector's MaxBodyBytes"
			if resp.StatusCode != 413 || !strings.HasPrefix(string(got), want) {
				t.Errorf("%s: %d %q, want 413 %q...", style, resp.StatusCode, got, want)
			}
		}
	}, container.WithConnector(connector.Config{MaxBodyBytes: 1000}))
}

// TestRejected: each limit is a 413 naming itself and the part, a
// malformed body or a missing boundary a 400, another Content-Type a 415,
// in both styles on every protocol; nothing is left on disk.
func TestRejected(t *testing.T) {
	var dir string
	build := func(c *container.Container) {
		dir = t.TempDir()
		serveForms(c, map[string]formdata.Limits{"small": {
			MaxParts: 3, MaxHeaderBytes: 200, MaxFieldBytes: 10, MaxFileBytes: 3000,
			MaxBodyBytes: 6000, MaxMemoryBytes: 25, MemoryThreshold: 16, TempDir: dir,
		}})
	}
	file := func(n int) upload { return upload{name: "f", filename: "f.bin", content: strings.Repeat("z", n)} }
	body := func(parts ...upload) ([]byte, string) { return multipartBody(parts...) }
	type tc struct {
		name  string
		body  []byte
		ct    string
		code  int
		inMsg string
	}
	var cases []tc
	add := func(name string, code int, inMsg string, parts ...upload) {
		b, ct := body(parts...)
		cases = append(cases, tc{name, b, ct, code, inMsg})
	}
	add("within limits", 200, `field a="0123456789"`, upload{name: "a", content: "0123456789"}, file(2999))
	add("MaxParts", 413, "over MaxParts (3)", upload{name: "a"}, upload{name: "b"}, upload{name: "c"}, upload{name: "d"})
	add("MaxFieldBytes", 413, `part 2 (field "b") over MaxFieldBytes (10)`, upload{name: "a", content: "x"}, upload{name: "b", content: "01234567890"})
	add("MaxFileBytes", 413, `part 2 (field "f", file "f.bin") over MaxFileBytes (3000)`, file(2000), file(3001))
	add("MaxMemoryBytes", 413, `part 3 (field "c") over MaxMemoryBytes (25)`, upload{name: "a", content: "0123456789"}, upload{name: "b", content: "0123456789"}, upload{name: "c", content: "0123456789"})
	add("MaxBodyBytes", 413, "body over MaxBodyBytes (6000)", file(2900), file(2900), upload{name: "a", content: strings.Repeat("x", 400)})
	big := upload{name: "a", content: "x"}
	b, ct := body(big)
	hdr := bytes.Replace(b, []byte("Content-Disposition"), []byte("X-Pad: "+strings.Repeat("p", 200)+"\r\nContent-Disposition"), 1)
	// A part over a limit, then a malformed one: the limit, met first, is
	// the answer in both styles. Parse's push parser once read ahead of
	// mime/multipart and answered 400 for the later part when both came
	// in one read, before the builder saw the earlier part's bytes.
	over, overCT := body(upload{name: "a", content: "01234567890"}, upload{name: "b", content: "x"})
	over = bytes.Replace(over, []byte(`Content-Disposition: form-data; name="b"`), []byte("no colon"), 1)
	cases = append(cases,
		tc{"MaxHeaderBytes", hdr, ct, 413, "part 1 over MaxHeaderBytes (200)"},
		tc{"MaxFieldBytes before a malformed part", over, overCT, 413, `part 1 (field "a") over MaxFieldBytes (10)`},
		tc{"truncated", b[:len(b)-10], ct, 400, "malformed multipart body"},
		tc{"truncated in a header", b[:bytes.Index(b, []byte("Content-Disposition"))+10], ct, 400, "malformed multipart body"},
		tc{"no boundary", b, "multipart/form-data", 400, "no boundary"},
		tc{"bad boundary", b, "multipart/form-data; boundary=\"a@b\"", 400, ""},
		tc{"other type", []byte("{}"), "application/json", 415, "not multipart/form-data"},
		tc{"no type", []byte("x"), "", 415, ""},
	)
	modes.Run(t, build, func(t *testing.T, s *modes.Server) {
		for _, tt := range cases {
			for _, style := range []string{"blocking", "async"} {
				req, _ := http.NewRequest("POST", s.URL+"/"+style+"/small", bytes.NewReader(tt.body))
				if tt.ct != "" {
					req.Header.Set("Content-Type", tt.ct)
				}
				resp, err := s.Client.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", tt.name, style, err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.code || !strings.Contains(string(got), tt.inMsg) {
					t.Errorf("%s (%s) = %d %q, want %d with %q", tt.name, style, resp.StatusCode, got, tt.code, tt.inMsg)
				}
			}
		}
		waitEmpty(t, dir)
	})
}

// partLines describes a form's fields and files as net/http and
// formdata both present them: values, and each file's size, digest and
// the Content-Transfer-Encoding left in its header.
func partLines(values map[string][]string, files map[string][]fileView) string {
	var lines []string
	for name, vs := range values {
		for _, v := range vs {
			lines = append(lines, fmt.Sprintf("field %s=%q", name, v))
		}
	}
	for name, fs := range files {
		for _, f := range fs {
			lines = append(lines, fmt.Sprintf("file %s=%q size=%d/%d sha=%x cte=%q", name, f.filename, f.size, len(f.data), sha256.Sum256(f.data), f.header.Values("Content-Transfer-Encoding")))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// fileView is a file as partLines describes it.
type fileView struct {
	filename string
	size     int64
	data     []byte
	header   textproto.MIMEHeader
}

// readFile reads an uploaded file whole, and tells whether it was on
// disk.
func readFile(open func() (multipart.File, error)) ([]byte, bool, error) {
	rc, err := open()
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	_, onDisk := rc.(*os.File)
	b, err := io.ReadAll(rc)
	return b, onDisk, err
}

// netHTTPForm is what net/http's ParseMultipartForm makes of body, as
// partLines describes it.
func netHTTPForm(body []byte, contentType string) (string, error) {
	req, _ := http.NewRequest("POST", "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if err := req.ParseMultipartForm(32 << 10); err != nil {
		return "", err
	}
	defer req.MultipartForm.RemoveAll()
	files := map[string][]fileView{}
	for name, fhs := range req.MultipartForm.File {
		for _, fh := range fhs {
			data, _, err := readFile(fh.Open)
			if err != nil {
				return "", err
			}
			files[name] = append(files[name], fileView{fh.Filename, fh.Size, data, fh.Header})
		}
	}
	return partLines(req.MultipartForm.Value, files), nil
}

// TestQuotedPrintable: parts sent with a Content-Transfer-Encoding reach
// the handler, in both styles on every protocol, as net/http's
// ParseMultipartForm gives them for the same body: quoted-printable
// decoded (in a field, a file in memory and a file spooled to disk) and
// its header field gone, base64 and the identity encodings as sent with
// theirs; and data net/http refuses as quoted-printable is a 400 that
// says so. No file is left behind.
func TestQuotedPrintable(t *testing.T) {
	var dir string
	answer := func(w api.Response, f *formdata.Form) error {
		files := map[string][]fileView{}
		disk := 0
		for _, name := range f.FileFields() {
			for _, fh := range f.Files(name) {
				data, onDisk, err := readFile(fh.Open)
				if err != nil {
					return err
				}
				if onDisk {
					disk++
				}
				files[name] = append(files[name], fileView{fh.Filename, fh.Size, data, fh.Header})
			}
		}
		_, err := fmt.Fprintf(w, "%d on disk\n%s", disk, partLines(f.Values, files))
		return err
	}
	build := func(c *container.Container) {
		dir = t.TempDir()
		lim := formdata.Limits{TempDir: dir}
		c.HandleFunc("/blocking", func(w api.Response, r *api.Request) error {
			f, err := formdata.Parse(r, lim)
			if err != nil {
				return err
			}
			return answer(w, f)
		})
		c.HandleFunc("/async", func(w api.Response, r *api.Request) error {
			_, err := formdata.ParseAsync(r, lim, func(w api.Response, f *formdata.Form, err error) error {
				if err != nil {
					return err
				}
				return answer(w, f)
			})
			return err
		})
	}
	// big is 96 KiB of every byte value, quoted-printable encoded: a file
	// spooled to disk (over the 32 KiB threshold) in both.
	var raw, big bytes.Buffer
	for i := range 96 << 10 {
		raw.WriteByte(byte(i * 7))
	}
	qw := quotedprintable.NewWriter(&big)
	qw.Binary = true
	qw.Write(raw.Bytes())
	qw.Close()
	part := func(header, data string) string { return "--qp\r\n" + header + "\r\n\r\n" + data + "\r\n" }
	field := func(name, cte string) string {
		return fmt.Sprintf("Content-Disposition: form-data; name=%q\r\nContent-Transfer-Encoding: %s", name, cte)
	}
	file := func(name, cte string) string {
		return fmt.Sprintf("Content-Disposition: form-data; name=%q; filename=%q\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: %s", name, name+".bin", cte)
	}
	const ct = "multipart/form-data; boundary=qp"
	for _, tt := range []struct {
		name string
		body string
		disk int // files on disk, for a form
	}{
		{"fields", part(field("a", "quoted-printable"), "caf=C3=A9 =3D=\r\n ok") +
			part(field("b", "Quoted-Printable"), "=c3=a9t=c3=a9\r\nline two  \r\n") +
			part(field("c", "8bit"), "=41") + part(field("d", "7bit"), "=41") + part(field("e", "binary"), "=41"), 0},
		{"files", part(file("small", "quoted-printable"), "x=3D1=\r\n, y=3d2") +
			part(file("big", "quoted-printable"), big.String()) +
			part(file("b64", "base64"), "aGVsbG8="), 1},
		{"control byte", part(field("a", "quoted-printable"), "ok\r\nno\x01"), 0},
		{"'=' at the end", part(file("f", "quoted-printable"), "a\r\n="), 0},
		{"'=='", part(field("a", "quoted-printable"), "a==\r\nb"), 0},
		{"long line", part(field("a", "quoted-printable"), strings.Repeat("x", 5000)), 0},
	} {
		body := []byte(tt.body + "--qp--\r\n")
		want, nerr := netHTTPForm(body, ct)
		if nerr == nil {
			want = fmt.Sprintf("%d on disk\n%s", tt.disk, want)
		}
		t.Run(tt.name, func(t *testing.T) {
			modes.Run(t, build, func(t *testing.T, s *modes.Server) {
				for _, style := range []string{"blocking", "async"} {
					code, got := post(t, s, "/"+style, ct, body)
					switch {
					case nerr == nil && (code != 200 || got != want):
						t.Errorf("%s: %d\n%s\nnet/http gives\n%s", style, code, got, want)
					case nerr != nil && (code != 400 || !strings.Contains(got, "malformed multipart body") || !strings.Contains(got, "quoted-printable")):
						t.Errorf("%s: %d %q; net/http: %v, want a 400 naming quoted-printable", style, code, got, nerr)
					}
				}
				waitEmpty(t, dir)
			})
		})
	}
}
