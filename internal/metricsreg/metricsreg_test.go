package metricsreg

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func counter() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: "things_total", Help: "Things."})
}

// Register shares an equal collector already registered, All refuses it, a conflicting one is an
// error for both, and a nil registry takes nothing.
func TestRegister(t *testing.T) {
	reg := prometheus.NewRegistry()
	first, err := Register(reg, counter())
	if err != nil {
		t.Fatal(err)
	}
	second, err := Register(reg, counter())
	if err != nil {
		t.Fatalf("an equal collector: %v, want the registered one shared", err)
	}
	second.Inc()
	if first != second {
		t.Fatal("the second registration did not return the collector already registered")
	}
	if err := All(reg, "test", counter()); err == nil {
		t.Fatal("All took a collector already registered")
	}
	clash := prometheus.NewGauge(prometheus.GaugeOpts{Name: "things_total", Help: "Other things."})
	if _, err := Register(reg, clash); err == nil {
		t.Fatal("Register took a conflicting collector")
	}
	if _, err := Register(nil, counter()); err != nil {
		t.Fatal(err)
	}
	if err := All(nil, "test", counter(), clash); err != nil {
		t.Fatal(err)
	}
}
