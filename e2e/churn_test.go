package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/avs-sync/avs-sync/internal/devnet"
	"github.com/avs-sync/avs-sync/syncer"
)

const churnBlockTime = 500 * time.Millisecond

// churnScene is a quorum at its operator cap on the pre-slashing deployment, whose coordinator
// takes registerOperatorWithChurn: three operators of 10, 20 and 30 ETH, a newcomer of 15 ETH
// waiting to join, and the churn approver's key (anvil account 0, the devnet's owner).
type churnScene struct {
	e        *env
	ops      []*devnet.Actor
	newcomer *devnet.Actor
}

func newChurnScene(t *testing.T) *churnScene {
	t.Helper()
	// Blocks of 0.5 s, nearer a real chain's than the other tests' 0.1 s: the bound below is in
	// blocks, and a loaded machine takes most of a second to mine a transaction.
	e := newEnvWith(t, devnet.Options{Flavor: devnet.M2, BlockTime: churnBlockTime, Accounts: 8}, 0)
	s := &churnScene{e: e}
	for i, stake := range []int64{10, 20, 30} {
		a, err := e.d.Actor(e.ctx, 3+i)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		if err := a.RegisterOperator(e.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Deposit(e.ctx, eth(stake)); err != nil {
			t.Fatal(err)
		}
		if err := a.RegisterWithAVS(e.ctx, 0); err != nil {
			t.Fatal(err)
		}
		s.ops = append(s.ops, a)
	}
	members, err := e.d.QuorumOperators(e.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The cap is the current count: the quorum is full. A newcomer must bring more than the
	// kicked operator's stored stake (100%), which must be below the quorum's total (100%).
	if err := e.owner.SetChurnParams(e.ctx, 0, uint32(len(members)), 10000, 10000); err != nil {
		t.Fatal(err)
	}
	if s.newcomer, err = e.d.Actor(e.ctx, 6); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.newcomer.Close)
	if err := s.newcomer.RegisterOperator(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.newcomer.Deposit(e.ctx, eth(15)); err != nil {
		t.Fatal(err)
	}
	return s
}

// churn registers the newcomer in quorum 0, kicking kick out.
func (s *churnScene) churn(kick common.Address) error {
	return s.newcomer.RegisterWithChurn(s.e.ctx, s.e.d.Key(0), 0, kick)
}

// A quorum at its operator cap: the heaviest operator withdraws 25 of its 30 ETH, which makes it
// the lightest by weight. Whether the drop (83%) is below --min-stake-change 0.9 or the daily gas
// budget is spent, avs-sync stores it within the debounce and 3 blocks, because that stored stake
// decides who a registration churns out; a newcomer of 15 ETH then replaces it. Without avs-sync the coordinator judges the kick by
// the stale 30 ETH and refuses the same churn. A small withdrawal away from the churn line stays
// held back by the materiality rule.
func TestChurnLineKeptExact(t *testing.T) {
	const debounceBlocks = 3
	debounceFlag := (debounceBlocks * churnBlockTime).String()

	t.Run("without avs-sync the churn is judged by the stale stored stake", func(t *testing.T) {
		s := newChurnScene(t)
		kicked := s.ops[2]
		if _, err := kicked.Withdraw(s.e.ctx, eth(25)); err != nil {
			t.Fatal(err)
		}
		s.e.waitBlocks(debounceBlocks + 3)
		err := s.churn(kicked.Address)
		if err == nil || !strings.Contains(err.Error(), "insufficient stake for churn") {
			t.Fatalf("churn against the stale stored stake of 30 ETH: %v, want a revert for insufficient stake", err)
		}
	})

	for _, tt := range []struct {
		name string
		args []string
		// spend: a first update away from the line spends most of the budget.
		spend bool
	}{
		// The drop is below the materiality threshold.
		{name: "below --min-stake-change", args: []string{"--min-stake-change", "0.9"}},
		// The daily gas budget pays for one updateOperators (about 357k gas used, a 452k gas limit), not two.
		{name: "gas budget spent", args: []string{"--max-gas-per-day", "800000"}, spend: true},
	} {
		t.Run("with avs-sync the churn is judged by the current weight, "+tt.name, func(t *testing.T) {
			s := newChurnScene(t)
			e := s.e
			p := e.startWatch("churn", e.d.HTTPURL, e.d.WSURL, append([]string{"--debounce", debounceFlag}, tt.args...)...)
			e.waitUp(p)
			e.waitFor("full quorum loaded", 30*time.Second, func() bool { return p.logged("loaded AVS state") })

			st := s.status(t)
			if !st.Full || st.MaxOperators != 3 || !slices.Equal(st.ChurnLine, []common.Address{s.ops[0].Address}) {
				t.Fatalf("status before: full %v cap %d churn line %v, want full at 3 with %s at the line", st.Full, st.MaxOperators, st.ChurnLine, s.ops[0].Address)
			}

			held := s.ops[1]
			if tt.spend {
				r, err := held.Withdraw(e.ctx, eth(1))
				if err != nil {
					t.Fatal(err)
				}
				e.waitFor("budget spent", 30*time.Second, func() bool { return len(e.stakeUpdates(held.Address, receiptBlock(r))) > 0 })
			}
			// Away from the line: 1 ETH of about 20 (5%) is held back, as immaterial or for the budget.
			if _, err := held.Withdraw(e.ctx, eth(1)); err != nil {
				t.Fatal(err)
			}
			kicked := s.ops[2]
			r, err := kicked.Withdraw(e.ctx, eth(25))
			if err != nil {
				t.Fatal(err)
			}
			at := receiptBlock(r)
			e.waitFor("stored stake at the churn line updated", 30*time.Second, func() bool { return len(e.stakeUpdates(kicked.Address, at)) > 0 })
			stored := e.stakeUpdates(kicked.Address, at)[0]
			t.Logf("withdrawal at block %d, stored at block %d: %d blocks (debounce %d blocks)", at, stored, stored-at, debounceBlocks)
			if stored-at > debounceBlocks+3 {
				t.Errorf("stored %d blocks after the withdrawal, want at most debounce + 3 = %d", stored-at, debounceBlocks+3)
			}
			if !p.logged("stored stake at the churn line of a full quorum kept exact") {
				t.Error("no log line for the churn-line decision")
			}
			e.waitBlocks(3)
			if ups := e.stakeUpdates(held.Address, at-1); len(ups) > 0 {
				t.Errorf("the immaterial withdrawal away from the churn line was stored at blocks %v", ups)
			}

			st = s.status(t)
			if !slices.Contains(st.ChurnLine, kicked.Address) || st.LowestStored == nil || st.LowestStored.Cmp(eth(5)) != 0 {
				t.Fatalf("status after: churn line %v lowest %v, want %s at 5 ETH", st.ChurnLine, st.LowestStored, kicked.Address)
			}
			if err := s.churn(kicked.Address); err != nil {
				t.Fatalf("churn against the exact stored stake of 5 ETH: %v", err)
			}
			members, err := e.d.QuorumOperators(e.ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(members, kicked.Address) || !slices.Contains(members, s.newcomer.Address) {
				t.Fatalf("members after the churn %v: want %s replaced by %s", members, kicked.Address, s.newcomer.Address)
			}
		})
	}
}

// status is quorum 0 as `avs-sync status --json` reports it.
func (s *churnScene) status(t *testing.T) syncer.QuorumReport {
	t.Helper()
	r := s.e.runCLI(append([]string{"status", "--json", "--quorums", "0"}, s.e.baseArgs()...)...)
	if r.code != 0 {
		t.Fatalf("status: exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		Quorums []syncer.QuorumReport `json:"quorums"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Quorums) != 1 {
		t.Fatalf("status output %q: %v", r.stdout, err)
	}
	return out.Quorums[0]
}

// Registry addresses are re-read from the coordinator at each load: a daemon whose reader and
// watcher start on addresses the coordinator no longer points at follows the coordinator's, says
// so in one line, and then sees what only the StakeRegistry announces. A new quorum minimum (a
// StakeRegistry event) above one operator's weight removes that operator.
func TestRegistriesMovedFollowed(t *testing.T) {
	e := newEnv(t, 2, 0)
	for i, op := range e.ops {
		if _, err := op.Deposit(e.ctx, eth(int64(2+2*i))); err != nil {
			t.Fatal(err)
		}
	}
	dm := e.start(daemonOpts{debounce: debounce, movedRegistries: true})
	if got := dm.reader.Contracts().StakeRegistry; got != e.stakeRegistry() {
		t.Fatalf("reader reads stake registry %s, want the coordinator's %s", got, e.stakeRegistry())
	}
	if err := e.owner.SetMinimumStake(e.ctx, 0, eth(3)); err != nil {
		t.Fatal(err)
	}
	victim := e.ops[0]
	e.waitFor("operator below the new minimum removed", 30*time.Second, func() bool {
		ops, err := e.d.QuorumOperators(e.ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		return !slices.Contains(ops, victim.Address)
	})
}
