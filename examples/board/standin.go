package main

// STAND-IN: the board's own minimal version of package formdata, written
// while it was not yet in the module; replaced by the package when it
// lands.

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/wharf-go/wharf/api"
)

type uploadedFile interface {
	Name() string
	Open() (io.ReadCloser, error)
}

type memFile struct {
	name string
	b    []byte
}

func (f memFile) Name() string { return f.name }
func (f memFile) Open() (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(string(f.b))), nil
}

func parseUpload(w api.Response, r *api.Request, done func(w api.Response, f uploadedFile, err error) error) error {
	_, params, err := mime.ParseMediaType(r.Header().Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return api.Error(http.StatusBadRequest, "send multipart/form-data")
	}
	mr := multipart.NewReader(r.Body(), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return api.Error(http.StatusBadRequest, "no file part")
		}
		if p.FormName() != "file" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxAttachmentBytes+1))
		if err != nil {
			return err
		}
		if len(b) > maxAttachmentBytes {
			return api.Error(http.StatusRequestEntityTooLarge, "the file is larger than 8 MiB")
		}
		return done(w, memFile{p.FileName(), b}, nil)
	}
}
