package cors_test

import (
	"fmt"
	"time"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/filters/cors"
	"github.com/wharf-go/wharf/internal/wharftest"
)

func Example() {
	f := cors.New(cors.Config{
		AllowedOrigins:   []string{"https://app.example"},
		AllowedMethods:   []string{"GET", "PUT"},
		AllowCredentials: true,
		MaxAge:           time.Hour,
	})
	h := api.Compose(api.HandlerFunc(func(w api.Response, r *api.Request) error {
		_, err := w.WriteString("data")
		return err
	}), f)

	w := wharftest.NewRecorder()
	_ = h.Serve(w, wharftest.Request("OPTIONS", "/items",
		"Origin", "https://app.example",
		"Access-Control-Request-Method", "PUT",
		"Access-Control-Request-Headers", "content-type"))
	fmt.Println(w.Status(), w.Header().Get("Access-Control-Allow-Methods"), w.Header().Get("Access-Control-Max-Age"))

	w = wharftest.NewRecorder()
	_ = h.Serve(w, wharftest.Request("PUT", "/items", "Origin", "https://app.example"))
	fmt.Println(w.Status(), w.Header().Get("Access-Control-Allow-Origin"), w.Body())
	// Output:
	// 204 GET, PUT 3600
	// 200 https://app.example data
}
