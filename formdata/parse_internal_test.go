package formdata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/internal/mimepart"
)

// request builds a Request no container made: no exchange, so no
// completion hook.
func request(contentType, body string) *api.Request {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return api.NewRequest(context.Background(), &api.RequestHead{
		Method: "POST", Path: "/", Header: api.NewHeader(h),
		Body: io.NopCloser(bytes.NewReader([]byte(body))), ContentLength: int64(len(body)),
	}, nil)
}

// TestClassify: which Content-Types are forms, and the status of the
// others.
func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		ct       string
		enc      encoding
		boundary string
		code     int
	}{
		{"multipart/form-data; boundary=abc", multipartForm, "abc", 0},
		{`Multipart/Form-Data; boundary="a b"; charset=utf-8`, multipartForm, "a b", 0},
		{"application/x-www-form-urlencoded", urlEncoded, "", 0},
		{"application/x-www-form-urlencoded; charset=utf-8", urlEncoded, "", 0},
		{"multipart/form-data", 0, "", 400},
		{"multipart/form-data; boundary=", 0, "", 400},
		{"multipart/mixed; boundary=abc", 0, "", 415},
		{"text/plain", 0, "", 415},
		{"", 0, "", 415},
	} {
		enc, b, err := classify(request(tt.ct, ""))
		if enc != tt.enc || b != tt.boundary || (err == nil) != (tt.code == 0) || err != nil && api.StatusOf(err) != tt.code {
			t.Errorf("classify(%q) = %v %q %v, want %v %q %d", tt.ct, enc, b, err, tt.enc, tt.boundary, tt.code)
		}
	}
}

// TestWithoutContainer: Parse works on a Request no container built, and
// its caller removes the files with RemoveAll; ParseAsync needs a
// container.
func TestWithoutContainer(t *testing.T) {
	dir := t.TempDir()
	body := "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n0123456789\r\n--b--\r\n"
	f, err := Parse(request("multipart/form-data; boundary=b", body), Limits{TempDir: dir, MemoryThreshold: 4})
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 || f.File("f").Size != 10 {
		t.Fatalf("%d files spooled, size %d", len(ents), f.File("f").Size)
	}
	if err := f.RemoveAll(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("%d files left after RemoveAll", len(ents))
	}
	if _, err := f.File("f").Open(); !errors.Is(err, ErrRemoved) {
		t.Errorf("Open after RemoveAll: %v", err)
	}
	_, err = ParseAsync(request("multipart/form-data; boundary=b", body), Limits{}, func(api.Response, *Form, error) error { return nil })
	if !errors.Is(err, api.ErrNotSupported) {
		t.Errorf("ParseAsync without a container: %v", err)
	}
}

// TestSpooling: which files go to disk, by MemoryThreshold and by the
// memory the form already holds (MaxMemoryBytes).
func TestSpooling(t *testing.T) {
	part := func(name, content string) string {
		return "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name + "\"\r\n\r\n" + content + "\r\n"
	}
	body := part("a", "12345") + part("b", "1234567890") + "--b--\r\n"
	for _, tt := range []struct {
		name         string
		lim          Limits
		aDisk, bDisk bool
	}{
		{"defaults: both in memory", Limits{}, false, false},
		{"threshold between them", Limits{MemoryThreshold: 6}, false, true},
		{"threshold at b's size", Limits{MemoryThreshold: 10}, false, false},
		{"negative threshold: all to disk", Limits{MemoryThreshold: -1}, true, true},
		{"memory full after a", Limits{MaxMemoryBytes: 12}, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.lim.TempDir = t.TempDir()
			f, err := Parse(request("multipart/form-data; boundary=b", body), tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			defer f.RemoveAll()
			for _, c := range []struct {
				name string
				disk bool
				want string
			}{{"a", tt.aDisk, "12345"}, {"b", tt.bDisk, "1234567890"}} {
				fh := f.File(c.name)
				if got := fh.path != ""; got != c.disk {
					t.Errorf("%s on disk = %v, want %v", c.name, got, c.disk)
				}
				rc, err := fh.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				if string(b) != c.want {
					t.Errorf("%s = %q", c.name, b)
				}
			}
		})
	}
}

// spoolPieces feeds a file part to a builder in pieces of a few bytes, as
// a body with a "\r\n--" that is not a boundary every few bytes arrives,
// and returns what was spooled.
func spoolPieces(tb testing.TB, pieces int) (*builder, []byte) {
	b := newBuilder(Limits{MemoryThreshold: -1, TempDir: tb.TempDir()}.resolved(), &store{dir: tb.TempDir()})
	h := textproto.MIMEHeader{"Content-Disposition": {`form-data; name="f"; filename="f.bin"`}}
	if err := b.Header(h); err != nil {
		tb.Fatal(err)
	}
	piece := []byte("ab\r\n--")
	var want bytes.Buffer
	for range pieces {
		if err := b.Data(piece); err != nil {
			tb.Fatal(err)
		}
		want.Write(piece)
	}
	if err := b.End(); err != nil {
		tb.Fatal(err)
	}
	return b, want.Bytes()
}

// A file spooled in pieces of a few bytes is written whole: its writes
// are buffered, and the buffer is flushed when the part ends.
func TestSpoolSmallPieces(t *testing.T) {
	b, want := spoolPieces(t, 10000)
	fh := b.form.files["f"][0]
	got, err := os.ReadFile(fh.path)
	if err != nil || !bytes.Equal(got, want) || fh.Size != int64(len(want)) {
		t.Fatalf("spooled %d bytes (%v), size %d; want the %d bytes fed", len(got), err, fh.Size, len(want))
	}
	b.form.st.removeAll()
}

// BenchmarkSpoolSmallPieces: a megabyte spooled in 6-byte pieces.
func BenchmarkSpoolSmallPieces(b *testing.B) {
	for b.Loop() {
		bl, _ := spoolPieces(b, 1<<20/6)
		bl.form.st.removeAll()
	}
}

// TestMemoryFilesOwnTheirBytes: a file kept in memory holds its own bytes,
// not the buffer an earlier part grew, so what a form keeps stays within
// MaxMemoryBytes. A one-byte file once kept the array a spooled file or a
// large field had left behind, counted as one byte: a body of such pairs
// held many times MaxMemoryBytes.
func TestMemoryFilesOwnTheirBytes(t *testing.T) {
	field := func(name, content string) string {
		return "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + content + "\r\n"
	}
	file := func(name, content string) string {
		return "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name + "\"\r\n\r\n" + content + "\r\n"
	}
	lim := Limits{MemoryThreshold: 64 << 10, MaxMemoryBytes: 1 << 20, MaxFieldBytes: 256 << 10}
	for _, tt := range []struct {
		name  string
		pairs int
		first func(i int) string // the part before each one-byte file
	}{
		{"after a spooled file", 20, func(i int) string { return file(fmt.Sprint("big", i), strings.Repeat("x", 65<<10)) }},
		{"after a large field", 3, func(i int) string { return field(fmt.Sprint("v", i), strings.Repeat("x", 256<<10)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body strings.Builder
			for i := range tt.pairs {
				body.WriteString(tt.first(i) + file(fmt.Sprint("small", i), "s"))
			}
			body.WriteString("--b--\r\n")
			lim := lim
			lim.TempDir = t.TempDir()
			f, err := Parse(request("multipart/form-data; boundary=b", body.String()), lim)
			if err != nil {
				t.Fatal(err)
			}
			defer f.RemoveAll()
			var kept int64 // what the form holds in memory: values, and the arrays of files in memory
			for _, vs := range f.Values {
				for _, v := range vs {
					kept += int64(len(v))
				}
			}
			for _, fhs := range f.files {
				for _, fh := range fhs {
					if fh.path == "" {
						kept += int64(cap(fh.data))
					}
				}
			}
			if kept > lim.MaxMemoryBytes {
				t.Errorf("the form keeps %d bytes in memory, over MaxMemoryBytes (%d)", kept, lim.MaxMemoryBytes)
			}
		})
	}
}

// TestKeptHeadersBounded: the names and file headers a form keeps stay
// within MaxParts × (MaxHeaderBytes + 1 KiB) in memory, beside MaxMemoryBytes. A
// parsed header takes many times its bytes on the wire (a map entry and
// a string per short line), and was not counted: files of no bytes with
// headers of short lines held ten times that bound.
func TestKeptHeadersBounded(t *testing.T) {
	lim := Limits{MaxParts: 100, MaxMemoryBytes: 64 << 10}.resolved()
	bound := int64(lim.MaxParts)*(int64(lim.MaxHeaderBytes)+keptPart) + lim.MaxMemoryBytes
	body := func(line func(int) string) string {
		var sb strings.Builder
		for range lim.MaxParts {
			sb.WriteString("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n")
			for j, n := 0, 0; n < 9<<10; j++ {
				l := line(j)
				sb.WriteString(l)
				n += len(l)
			}
			sb.WriteString("\r\n\r\n")
		}
		sb.WriteString("--b--\r\n")
		return sb.String()
	}
	pushParse := func(body string) (*Form, error) {
		b := newBuilder(lim, &store{dir: lim.TempDir})
		p, err := mimepart.NewParser("b", partLimits(lim), b)
		if err != nil {
			return nil, err
		}
		if _, err := p.Write([]byte(body)); err != nil {
			return nil, b.parseError(err, p.Parts())
		}
		if err := p.Close(); err != nil {
			return nil, b.parseError(err, p.Parts())
		}
		return b.form, nil
	}
	for _, tt := range []struct {
		name string
		line func(int) string
	}{
		{"distinct fields", func(j int) string { return fmt.Sprintf("X%x:\r\n", j) }},
		{"one field repeated", func(int) string { return "X:\r\n" }},
	} {
		for _, style := range []struct {
			name  string
			parse func(string) (*Form, error)
		}{
			{"Parse", func(body string) (*Form, error) { return Parse(request("multipart/form-data; boundary=b", body), lim) }},
			{"push parser", pushParse},
		} {
			t.Run(tt.name+"/"+style.name, func(t *testing.T) {
				body := body(tt.line)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				f, err := style.parse(body)
				runtime.GC()
				runtime.ReadMemStats(&after)
				held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
				runtime.KeepAlive(f)
				var le *LimitError
				switch {
				case err == nil && held > bound:
					t.Fatalf("a form of %d files of no bytes (a %d-byte body) holds %d bytes, over MaxParts × (MaxHeaderBytes + 1 KiB) + MaxMemoryBytes (%d)", len(f.Files("f")), len(body), held, bound)
				case err != nil && (!errors.As(err, &le) || le.Limit != "MaxHeaderBytes" || api.StatusOf(err) != http.StatusRequestEntityTooLarge):
					t.Fatalf("err = %v, want a 413 naming MaxHeaderBytes", err)
				}
			})
		}
	}
}

// An ordinary file part, as a browser sends it, is taken under the
// smallest limits that admit its header's bytes: what its parsed header
// takes in memory, several times those bytes, is within each part's
// allowance beyond MaxHeaderBytes.
func TestKeptHeadersSmallLimits(t *testing.T) {
	body := "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n"
	for _, lim := range []Limits{
		{MaxParts: 1, MaxHeaderBytes: 128},
		{MaxParts: 1, MaxHeaderBytes: 256},
	} {
		f, err := Parse(request("multipart/form-data; boundary=b", body), lim)
		if err != nil {
			t.Fatalf("%+v: %v", lim, err)
		}
		if fh := f.Files("file"); len(fh) != 1 || fh[0].Filename != "a.txt" {
			t.Errorf("%+v: files %v, want a.txt", lim, fh)
		}
		f.RemoveAll()
	}
}
