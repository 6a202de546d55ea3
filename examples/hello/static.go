package main

import (
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/wharf-go/wharf/api"
)

// TODO(benchweb): replace with static.Dir once package static lands on
// main; this stand-in only lets the benchmark harness be built and tried.
func staticHandler(dir string) (api.Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return api.HandlerFunc(func(w api.Response, r *api.Request) error {
		f, err := root.Open(r.Mapping().PathInfo[1:])
		if err != nil {
			return api.Error(http.StatusNotFound, "no such file")
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		_, err = io.Copy(w, f)
		return err
	}), nil
}
