// Package metricsreg is the one way collectors are registered: on the registry given, none when it
// is nil, every failure an error (never a panic).
package metricsreg

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns the collector to use: c, or the equal collector already
// registered (a second watcher on the same registry shares its series). reg nil registers nothing.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// All registers each of cs on reg, for an owner that keeps the collectors it made: one already
// registered is an error, as its series would go to a collector the owner does not hold. what
// names the owner in the error. reg nil registers nothing.
func All(reg prometheus.Registerer, what string, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register %s metrics: %w", what, err)
		}
	}
	return nil
}
