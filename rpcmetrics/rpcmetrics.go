// Package rpcmetrics counts and times the JSON-RPC requests avs-sync makes over HTTP, by method, on
// eigensdk-go's RPC-call collector (eigen_rpc_request_total, eigen_rpc_request_duration_seconds),
// the metrics the original avs-sync exported. A batch counts one request per call in it.
package rpcmetrics

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	rpccalls "github.com/Layr-Labs/eigensdk-go/metrics/collectors/rpc_calls"
	"github.com/prometheus/client_golang/prometheus"
)

// clientVersion is the collector's client_version label; avs-sync does not ask the node for it.
const clientVersion = "unknown"

// transport observes each JSON-RPC request it carries.
type transport struct {
	base      http.RoundTripper
	collector *rpccalls.Collector
}

// NewHTTPClient returns an HTTP client for rpc.WithHTTPClient that records every JSON-RPC call on
// reg under the avs_name label name, and gives up on a request after timeout (0: never), so a
// node that stops answering surfaces as an error instead of a silent stall. A nil reg records
// nothing.
func NewHTTPClient(reg prometheus.Registerer, name string, timeout time.Duration) *http.Client {
	if reg == nil {
		return &http.Client{Timeout: timeout}
	}
	return &http.Client{Timeout: timeout, Transport: &transport{base: http.DefaultTransport, collector: rpccalls.NewCollector(name, reg)}}
}

// RoundTrip sends req and records its methods with the time the node took to answer.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var methods []string
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		methods = Methods(body)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	took := time.Since(start).Seconds()
	for _, m := range methods {
		t.collector.AddRPCRequestTotal(m, clientVersion)
		t.collector.ObserveRPCRequestDurationSeconds(took, m, clientVersion)
	}
	return resp, err
}

// Methods lists the methods of a JSON-RPC request or batch body; nil if it is neither.
func Methods(body []byte) []string {
	type call struct {
		Method string `json:"method"`
	}
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var batch []call
		if json.Unmarshal(body, &batch) != nil {
			return nil
		}
		out := make([]string, 0, len(batch))
		for _, c := range batch {
			out = append(out, c.Method)
		}
		return out
	}
	var c call
	if json.Unmarshal(body, &c) != nil || c.Method == "" {
		return nil
	}
	return []string{c.Method}
}
