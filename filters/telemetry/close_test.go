package telemetry_test

import (
	"context"
	"io"
	"strconv"
	"sync/atomic"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wharf-go/wharf/api"
	"github.com/wharf-go/wharf/container"
	"github.com/wharf-go/wharf/dispatcher"
	"github.com/wharf-go/wharf/filters/telemetry"
	"github.com/wharf-go/wharf/internal/modes"
)

// TestCloseUnregistersExecutorGauges: containers built in turn against one
// MeterProvider, each closed (Shutdown, then the filter's Close) before
// the next, as a server reloaded in the process does. A collection reads
// the executor of the container being served, and none of the closed
// ones; once the last is closed, no executor gauge is reported at all.
func TestCloseUnregistersExecutorGauges(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	// closed counts the calls to the Executor functions of the containers
	// closed so far: the provider should make none.
	var closed atomic.Int64
	for _, m := range modes.All {
		t.Run(string(m), func(t *testing.T) {
			for round := range 2 {
				var (
					live bool // this round's container is being served
					last dispatcher.ExecutorStats
				)
				t.Run("container"+strconv.Itoa(round+1), func(t *testing.T) {
					c := container.New(modes.Options(m)...)
					f, err := telemetry.New(telemetry.Config{MeterProvider: mp, Executor: func() dispatcher.ExecutorStats {
						if !live {
							closed.Add(1)
						}
						last = c.Stats().Executor
						return last
					}})
					if err != nil {
						t.Fatal(err)
					}
					// Before Start's: cleanups run last first, so Close
					// comes after the container's Shutdown, as a program
					// does it.
					t.Cleanup(func() {
						live = false
						if err := f.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					c.Filter("/*", f)
					c.HandleFunc("/x", func(w api.Response, r *api.Request) error {
						_, err := w.WriteString("ok")
						return err
					})
					live = true
					srv := modes.Start(t, m, c)
					resp, err := srv.Client.Get(srv.URL + "/x")
					if err != nil {
						t.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()

					closed.Store(0)
					got, err := collect(reader)
					if err != nil {
						t.Fatal(err)
					}
					if n := closed.Load(); n != 0 {
						t.Errorf("round %d: the stats of closed containers were read %d times", round, n)
					}
					g, _ := got["wharf.executor.workers"].(metricdata.Gauge[int64])
					if len(g.DataPoints) != 1 || g.DataPoints[0].Value != int64(last.Workers) {
						t.Errorf("round %d: wharf.executor.workers %v, want [%d], the live container's", round, values(g), last.Workers)
					}
				})
				closed.Store(0)
				got, err := collect(reader)
				if err != nil {
					t.Fatal(err)
				}
				if n := closed.Load(); n != 0 {
					t.Errorf("round %d closed: its stats were read %d times", round, n)
				}
				for _, name := range []string{"wharf.executor.workers", "wharf.executor.busy", "wharf.executor.queued"} {
					if g, _ := got[name].(metricdata.Gauge[int64]); len(g.DataPoints) != 0 {
						t.Errorf("round %d closed: %s still reported: %v", round, name, values(g))
					}
				}
			}
		})
	}
}

// values are g's points' values.
func values(g metricdata.Gauge[int64]) []int64 {
	var vs []int64
	for _, dp := range g.DataPoints {
		vs = append(vs, dp.Value)
	}
	return vs
}
