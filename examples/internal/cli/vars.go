package cli

import (
	"encoding/json"
	"expvar"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"

	"github.com/wharf-go/wharf/container"
)

// Vars mounts /debug/vars on c: expvar's usual variables (cmdline,
// memstats and whatever the program published) plus "goroutines"
// (runtime.NumGoroutine, which the benchmarks read), "goroutines_created"
// (how many the process started, from runtime/metrics: per request, it
// tells whether handlers run on goroutines kept for them or on new ones)
// and "wharf", the container's Stats. The container's figures are an expvar.Func rendered
// per request rather than published, so several containers (tests run
// many) never collide in expvar's process-wide registry.
func Vars(c *container.Container) {
	wharf := expvar.Func(func() any { return c.Stats() })
	c.Root().Mount("/debug/vars", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprintf(w, "{\n")
		expvar.Do(func(kv expvar.KeyValue) {
			fmt.Fprintf(w, "%q: %s,\n", kv.Key, kv.Value)
		})
		b, err := json.Marshal(wharf.Value())
		if err != nil {
			b = []byte(`null`)
		}
		fmt.Fprintf(w, "%q: %d,\n", "goroutines", runtime.NumGoroutine())
		created := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
		metrics.Read(created)
		if created[0].Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(w, "%q: %d,\n", "goroutines_created", created[0].Value.Uint64())
		}
		fmt.Fprintf(w, "%q: %s\n}\n", "wharf", b)
	}))
}
