package submitter_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/avs-sync/avs-sync/planner"
	"github.com/avs-sync/avs-sync/submitter"
)

// Each error a part can end with is judged once, here: whose fault it is decides whether the
// planner counts it toward setting the work aside and what the loop waits on.
func TestTxResultFault(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("send updateOperators of 2 operators: %w", err) }
	tests := []struct {
		name string
		res  submitter.TxResult
		want planner.Fault
	}{
		{"mined", submitter.TxResult{Outcome: submitter.Mined}, planner.FaultNone},
		{"mined and reverted", submitter.TxResult{Outcome: submitter.Reverted, Err: wrap(submitter.ErrReverted)}, planner.FaultOwn},
		{"reverts in its estimate", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(submitter.ErrReverted)}, planner.FaultOwn},
		{"too large", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(submitter.ErrTooLarge)}, planner.FaultOwn},
		{"rejected by the signing service", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(submitter.ErrRejected)}, planner.FaultOwn},
		{"fees above the cap", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(submitter.ErrFeeAboveCap)}, planner.FaultFees},
		{"out of funds", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(submitter.ErrOutOfFunds)}, planner.FaultFees},
		{"over the budget", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(submitter.ErrOverBudget)}, planner.FaultBudget},
		{"shutdown", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(context.Canceled)}, planner.FaultStopped},
		{"not mined in time", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(context.DeadlineExceeded)}, planner.FaultNode},
		{"another process's transactions", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(submitter.ErrForeignTransaction)}, planner.FaultNode},
		{"the node refused", submitter.TxResult{Outcome: submitter.NotSent, Err: wrap(errors.New("502 Bad Gateway"))}, planner.FaultNode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.res.Fault(); got != tt.want {
				t.Fatalf("Fault() = %v, want %v", got, tt.want)
			}
		})
	}
}
