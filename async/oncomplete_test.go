package async_test

import (
	"errors"
	"testing"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/async"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func TestOnComplete(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		handler func(w api.Response, r *api.Request) error
		async   bool // the test completes the request from outside
		want    error
	}{
		{"blocking answer", func(w api.Response, r *api.Request) error {
			_, err := w.WriteString("ok")
			return err
		}, false, nil},
		{"blocking failure", func(w api.Response, r *api.Request) error { return boom }, false, boom},
		{"async", func(w api.Response, r *api.Request) error {
			_, err := async.Start(r)
			return err
		}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan error, 2)
			x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
				if err := async.OnComplete(r, func(err error) { got <- err }); err != nil {
					t.Errorf("OnComplete: %v", err)
				}
				return tc.handler(w, r)
			}), nil)
			if tc.async {
				select {
				case err := <-got:
					t.Fatalf("OnComplete ran before completion: %v", err)
				default:
				}
				x.Complete()
			}
			<-x.Done()
			select {
			case err := <-got:
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
			default:
				t.Fatal("OnComplete did not run before Done")
			}
			if len(got) != 0 {
				t.Fatal("OnComplete ran twice")
			}
		})
	}
}

func TestOnCompleteAfterCompletion(t *testing.T) {
	var req *api.Request
	x := wharftest.Start(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		req = r
		return nil
	}), nil)
	<-x.Done()
	if err := async.OnComplete(req, func(error) { t.Error("ran after completion") }); !errors.Is(err, api.ErrCompleted) {
		t.Fatalf("err = %v, want ErrCompleted", err)
	}
	bare := api.NewRequest(t.Context(), &api.RequestHead{Method: "GET", Path: "/"}, nil)
	if err := async.OnComplete(bare, func(error) {}); !errors.Is(err, api.ErrNotSupported) {
		t.Fatalf("bare request: err = %v, want ErrNotSupported", err)
	}
}
