package rpcmetrics

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A real go-ethereum JSON-RPC server behind the instrumented client: single calls and batches
// are counted per method.
func TestCountsCallsAndBatches(t *testing.T) {
	srv := rpc.NewServer()
	if err := srv.RegisterName("test", new(echoService)); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	reg := prometheus.NewRegistry()
	client, err := rpc.DialOptions(context.Background(), hs.URL, rpc.WithHTTPClient(NewHTTPClient(reg, "avs-sync", time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var out string
	if err := client.Call(&out, "test_echo", "a"); err != nil || out != "a" {
		t.Fatalf("call: %q %v", out, err)
	}
	batch := []rpc.BatchElem{
		{Method: "test_echo", Args: []any{"b"}, Result: new(string)},
		{Method: "test_echo", Args: []any{"c"}, Result: new(string)},
		{Method: "test_upper", Args: []any{"d"}, Result: new(string)},
	}
	if err := client.BatchCall(batch); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP eigen_rpc_request_total Total number of json-rpc <method> requests
# TYPE eigen_rpc_request_total counter
eigen_rpc_request_total{avs_name="avs-sync",client_version="unknown",method="test_echo"} 3
eigen_rpc_request_total{avs_name="avs-sync",client_version="unknown",method="test_upper"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "eigen_rpc_request_total"); err != nil {
		t.Fatal(err)
	}
}

func TestMethodsOf(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{"", nil},
		{"{", nil},
		{`{"id":1}`, nil},
		{`{"jsonrpc":"2.0","id":1,"method":"eth_call"}`, []string{"eth_call"}},
		{` [{"method":"eth_call"},{"method":"eth_getLogs"}]`, []string{"eth_call", "eth_getLogs"}},
	}
	for _, tt := range tests {
		if got := Methods([]byte(tt.body)); !slices.Equal(got, tt.want) {
			t.Errorf("Methods(%q) = %v, want %v", tt.body, got, tt.want)
		}
	}
	if NewHTTPClient(nil, "x", 0).Transport != nil {
		t.Error("a nil registry should give a plain client")
	}
}

type echoService struct{}

func (echoService) Echo(s string) string  { return s }
func (echoService) Upper(s string) string { return strings.ToUpper(s) }
