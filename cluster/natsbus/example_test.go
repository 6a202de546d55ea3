package natsbus_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/wharf-go/wharf/cluster/natsbus"
)

// Two instances share events through one broker. Here the broker runs in
// the process (nats-server's server package, as examples/chat -nats-embed
// does); in production it is a nats-server of its own, or a NATS cluster.
func ExampleConnect() {
	broker, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	go broker.Start()
	defer func() { broker.Shutdown(); broker.WaitForShutdown() }()
	broker.ReadyForConnections(5 * time.Second)

	a, _ := natsbus.Connect(natsbus.Config{URL: broker.ClientURL()})
	defer a.Close()
	b, _ := natsbus.Connect(natsbus.Config{URL: broker.ClientURL()})
	defer b.Close()

	got := make(chan string, 1)
	b.Subscribe("wake.*", func(subject string, data []byte) {
		// Resume the continuations waiting on subject here.
		got <- subject + " " + string(data)
	})
	a.Publish(context.Background(), "wake.order-42", []byte("paid"))
	fmt.Println(<-got)
	// Output: wake.order-42 paid
}
