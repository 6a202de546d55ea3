package formdata_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/formdata"
)

// send posts a form with a field and a file to url, as a browser would,
// and prints the answer.
func send(url, content string) { sendFile(url, "beach.jpg", content) }

// sendNoFile posts the form of send with its file input left empty, as a
// browser sends it: a part with an empty filename, which is no file.
func sendNoFile(url string) { sendFile(url, "", "") }

// sendFile posts a form with a field and a file of the given name to url,
// and prints the answer.
func sendFile(url, filename, content string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", "holiday")
	fw, _ := mw.CreateFormFile("photo", filename)
	io.WriteString(fw, content)
	mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, b)))
}

// A blocking handler parses the upload with Parse and returns its error
// as it is: over a limit, the client gets a 413 that says which. File is
// nil when the form has no file, as when its file input was left empty:
// the handler checks it, and answers 400 rather than panic (500).
func ExampleParse() {
	c := container.New()
	c.HandleFunc("POST /upload", func(w api.Response, r *api.Request) error {
		f, err := formdata.Parse(r, formdata.Limits{MaxFileBytes: 1 << 10})
		if err != nil {
			return err
		}
		photo := f.File("photo")
		if photo == nil { // no such field, or a file input left empty
			return api.Error(http.StatusBadRequest, "photo is required")
		}
		_, err = fmt.Fprintf(w, "%s: %s, %d bytes", f.Value("title"), photo.Filename, photo.Size)
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	send("http://"+l.Addr().String()+"/upload", "JPEG…")
	sendNoFile("http://" + l.Addr().String() + "/upload")
	send("http://"+l.Addr().String()+"/upload", string(make([]byte, 2<<10)))
	// Output:
	// 200 holiday: beach.jpg, 7 bytes
	// 400 400 Bad Request: photo is required
	// 413 413 Request Entity Too Large: formdata: part 2 (field "photo", file "beach.jpg") over MaxFileBytes (1024)
}

// ParseAsync reads the body as it arrives, holding no goroutine while the
// client sends; done answers, as a serialized task of the request.
func ExampleParseAsync() {
	c := container.New()
	c.HandleFunc("POST /upload", func(w api.Response, r *api.Request) error {
		_, err := formdata.ParseAsync(r, formdata.Limits{}, func(w api.Response, f *formdata.Form, err error) error {
			if err != nil {
				return err // 413, 400, ... as Parse's
			}
			photo := f.File("photo")
			if photo == nil { // no such field, or a file input left empty
				return api.Error(http.StatusBadRequest, "photo is required")
			}
			_, err = fmt.Fprintf(w, "%s: %d bytes", f.Value("title"), photo.Size)
			return err // nil completes the request
		})
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	send("http://"+l.Addr().String()+"/upload", "JPEG…")
	sendNoFile("http://" + l.Addr().String() + "/upload")
	// Output:
	// 200 holiday: 7 bytes
	// 400 400 Bad Request: photo is required
}

// SaveTo keeps an upload: the temporary file is moved, so the request's
// completion, which removes every other, leaves it.
func ExampleFileHeader_SaveTo() {
	dir, _ := os.MkdirTemp("", "uploads")
	defer os.RemoveAll(dir)
	c := container.New()
	c.HandleFunc("POST /upload", func(w api.Response, r *api.Request) error {
		f, err := formdata.Parse(r, formdata.Limits{MemoryThreshold: -1}) // every file to disk
		if err != nil {
			return err
		}
		photo := f.File("photo")
		if photo == nil { // no such field, or a file input left empty
			return api.Error(http.StatusBadRequest, "photo is required")
		}
		return photo.SaveTo(filepath.Join(dir, "photo.jpg"))
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	send("http://"+l.Addr().String()+"/upload", "JPEG…")
	b, _ := os.ReadFile(filepath.Join(dir, "photo.jpg"))
	fmt.Printf("kept %q\n", b)
	// Output:
	// 200
	// kept "JPEG…"
}

// done may hand the form to other work and answer later: ErrKeepOpen
// keeps the request open until that work completes it through the
// Context ParseAsync returned.
func ExampleErrKeepOpen() {
	c := container.New()
	c.HandleFunc("POST /upload", func(w api.Response, r *api.Request) error {
		var ac *async.Context
		ac, err := formdata.ParseAsync(r, formdata.Limits{}, func(w api.Response, f *formdata.Form, err error) error {
			if err != nil {
				return err
			}
			title := f.Value("title") // read now: the form is the request's
			go func() {               // a slow job, off the request's tasks
				result := "indexed " + title
				ac.Dispatch(func(w api.Response) {
					io.WriteString(w, result)
					ac.Complete()
				})
			}()
			return formdata.ErrKeepOpen
		})
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	send("http://"+l.Addr().String()+"/upload", "JPEG…")
	// Output: 200 indexed holiday
}

// A field may carry several files (an <input type="file" multiple>):
// Files returns them in the order they came, and Open reads each.
func ExampleForm_Files() {
	c := container.New()
	c.HandleFunc("POST /album", func(w api.Response, r *api.Request) error {
		f, err := formdata.Parse(r, formdata.Limits{})
		if err != nil {
			return err
		}
		for _, fh := range f.Files("photos") {
			file, err := fh.Open()
			if err != nil {
				return err
			}
			head := make([]byte, 4)
			n, _ := io.ReadFull(file, head)
			file.Close()
			fmt.Fprintf(w, "%s: %d bytes, starts %q\n", fh.Filename, fh.Size, head[:n])
		}
		return nil
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, file := range [][2]string{{"a.jpg", "JPEG one"}, {"b.png", "PNG two"}} {
		fw, _ := mw.CreateFormFile("photos", file[0])
		io.WriteString(fw, file[1])
	}
	mw.Close()
	resp, err := http.Post("http://"+l.Addr().String()+"/album", mw.FormDataContentType(), &body)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(string(b))
	// Output:
	// a.jpg: 8 bytes, starts "JPEG"
	// b.png: 7 bytes, starts "PNG "
}

// A handler that answers a form over a limit itself, rather than with the
// container's 413, finds which limit it was in the *LimitError.
func ExampleLimitError() {
	c := container.New()
	c.HandleFunc("POST /upload", func(w api.Response, r *api.Request) error {
		f, err := formdata.Parse(r, formdata.Limits{MaxFileBytes: 1 << 10})
		var le *formdata.LimitError
		if errors.As(err, &le) {
			if err := w.SetStatus(http.StatusRequestEntityTooLarge); err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "%s is over %d bytes (%s)", le.Filename, le.Max, le.Limit)
			return err
		}
		if err != nil {
			return err
		}
		photo := f.File("photo")
		if photo == nil { // no such field, or a file input left empty
			return api.Error(http.StatusBadRequest, "photo is required")
		}
		_, err = fmt.Fprintf(w, "%s received", photo.Filename)
		return err
	})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go c.Serve(l)
	defer c.Shutdown(context.Background())

	send("http://"+l.Addr().String()+"/upload", "JPEG…")
	send("http://"+l.Addr().String()+"/upload", string(make([]byte, 2<<10)))
	// Output:
	// 200 beach.jpg received
	// 413 beach.jpg is over 1024 bytes (MaxFileBytes)
}
