package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	blsapkregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/BLSApkRegistry"
	msm "github.com/Layr-Labs/eigensdk-go/contracts/bindings/MockAvsServiceManager"
	opstateretriever "github.com/Layr-Labs/eigensdk-go/contracts/bindings/OperatorStateRetriever"
	regcoord "github.com/Layr-Labs/eigensdk-go/contracts/bindings/RegistryCoordinator"
	"github.com/Layr-Labs/eigensdk-go/crypto/bls"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/avs-sync/avs-sync/internal/devnet"
)

// The devnet's withdrawal delay (DelegationManager.minWithdrawalDelayBlocks) and avs-sync's
// default --deadline-margin.
const (
	devnetDelay   = 900
	defaultMargin = 300
)

// ownerOpts are transaction options of anvil account 0, the owner of the AVS's contracts.
func (e *env) ownerOpts() *bind.TransactOpts {
	e.t.Helper()
	o, err := bind.NewKeyedTransactorWithChainID(e.d.Key(0), big.NewInt(devnet.ChainID))
	if err != nil {
		e.t.Fatal(err)
	}
	o.Context = e.ctx
	return o
}

// checker binds a BLSSignatureChecker (the devnet's service manager is one).
func (e *env) checker(addr common.Address) *msm.ContractMockAvsServiceManager {
	e.t.Helper()
	c, err := msm.NewContractMockAvsServiceManager(addr, e.eth)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// setStaleStakesForbidden has the owner switch checker's stale-stakes rule, and returns the block.
func (e *env) setStaleStakesForbidden(checker common.Address, on bool) uint64 {
	e.t.Helper()
	tx, err := e.checker(checker).SetStaleStakesForbidden(e.ownerOpts(), on)
	if err != nil {
		e.t.Fatalf("setStaleStakesForbidden(%v) on %s: %v", on, checker, err)
	}
	r, err := bind.WaitMined(e.ctx, e.eth, tx)
	if err != nil || r.Status != 1 {
		e.t.Fatalf("setStaleStakesForbidden(%v) on %s: receipt %+v, %v", on, checker, r, err)
	}
	return receiptBlock(r)
}

// deployChecker deploys a second BLSSignatureChecker (a MockAvsServiceManager outside any proxy)
// over the devnet's registry coordinator: a checker that is not the service manager, as an AVS's
// task manager is.
func (e *env) deployChecker() common.Address {
	e.t.Helper()
	a := e.d.Addresses
	addr, tx, _, err := msm.DeployContractMockAvsServiceManager(e.ownerOpts(), e.eth, a.RegistryCoordinator, a.AVSDirectory,
		a.RewardsCoordinator, a.PermissionController, a.AllocationManager)
	if err != nil {
		e.t.Fatalf("deploy a signature checker: %v", err)
	}
	if r, err := bind.WaitMined(e.ctx, e.eth, tx); err != nil || r.Status != 1 {
		e.t.Fatalf("deploy a signature checker: receipt %+v, %v", r, err)
	}
	return addr
}

// updateBlock is quorum 0's quorumUpdateBlockNumber at the head.
func (e *env) updateBlock() uint64 {
	e.t.Helper()
	n, err := e.coordinator().QuorumUpdateBlockNumber(&bind.CallOpts{Context: e.ctx}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return n.Uint64()
}

// mineTo commits blocks at once until the head is at least block.
func (e *env) mineTo(block uint64) {
	e.t.Helper()
	if h := e.head(); h < block {
		e.d.MineBlocks(int(block - h))
	}
}

// certificate is what an aggregator hands the AVS: msg signed with the BLS keys of e's operators,
// every other operator of quorum 0 at ref a non-signer, with the indices the checker needs from
// the OperatorStateRetriever.
func (e *env) certificate(msg [32]byte, ref uint32) msm.IBLSSignatureCheckerTypesNonSignerStakesAndSignature {
	e.t.Helper()
	at := &bind.CallOpts{Context: e.ctx, BlockNumber: new(big.Int).SetUint64(uint64(ref))}
	osr, err := opstateretriever.NewContractOperatorStateRetriever(e.d.Addresses.OperatorStateRetriever, e.eth)
	if err != nil {
		e.t.Fatal(err)
	}
	state, err := osr.GetOperatorState(at, e.d.Addresses.RegistryCoordinator, []byte{0}, ref)
	if err != nil {
		e.t.Fatalf("operator state at %d: %v", ref, err)
	}
	apkAddr, err := e.coordinator().BlsApkRegistry(&bind.CallOpts{Context: e.ctx})
	if err != nil {
		e.t.Fatal(err)
	}
	apks, err := blsapkregistry.NewContractBLSApkRegistry(apkAddr, e.eth)
	if err != nil {
		e.t.Fatal(err)
	}
	keys := map[common.Address]*bls.KeyPair{}
	for _, op := range e.ops {
		kp, err := op.BLSKey()
		if err != nil {
			e.t.Fatal(err)
		}
		keys[op.Address] = kp
	}
	sigma, apkG2 := bls.NewZeroSignature(), bls.NewZeroG2Point()
	type nonSigner struct {
		id  [32]byte
		key msm.BN254G1Point
	}
	var non []nonSigner
	for _, op := range state[0] {
		if kp, ok := keys[op.Operator]; ok {
			sigma = sigma.Add(kp.SignMessage(msg))
			apkG2 = apkG2.Add(kp.GetPubKeyG2())
			continue
		}
		pk, _, err := apks.GetRegisteredPubkey(at, op.Operator)
		if err != nil {
			e.t.Fatalf("public key of non-signer %s: %v", op.Operator, err)
		}
		non = append(non, nonSigner{op.OperatorId, msm.BN254G1Point{X: pk.X, Y: pk.Y}})
	}
	slices.SortFunc(non, func(a, b nonSigner) int { return new(big.Int).SetBytes(a.id[:]).Cmp(new(big.Int).SetBytes(b.id[:])) })
	ids := make([][32]byte, len(non))
	pks := make([]msm.BN254G1Point, len(non))
	for i, n := range non {
		ids[i], pks[i] = n.id, n.key
	}
	idx, err := osr.GetCheckSignaturesIndices(at, e.d.Addresses.RegistryCoordinator, ref, []byte{0}, ids)
	if err != nil {
		e.t.Fatalf("signature indices at %d: %v", ref, err)
	}
	apk, err := apks.GetApk(at, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return msm.IBLSSignatureCheckerTypesNonSignerStakesAndSignature{
		NonSignerQuorumBitmapIndices: idx.NonSignerQuorumBitmapIndices,
		NonSignerPubkeys:             pks,
		QuorumApks:                   []msm.BN254G1Point{{X: apk.X, Y: apk.Y}},
		ApkG2:                        g2(apkG2),
		Sigma:                        msm.BN254G1Point{X: sigma.X.BigInt(new(big.Int)), Y: sigma.Y.BigInt(new(big.Int))},
		QuorumApkIndices:             idx.QuorumApkIndices,
		TotalStakeIndices:            idx.TotalStakeIndices,
		NonSignerStakeIndices:        idx.NonSignerStakeIndices,
	}
}

// g2 is a G2 point as the contracts take it: each coordinate's imaginary part first.
func g2(p *bls.G2Point) msm.BN254G2Point {
	return msm.BN254G2Point{
		X: [2]*big.Int{p.X.A1.BigInt(new(big.Int)), p.X.A0.BigInt(new(big.Int))},
		Y: [2]*big.Int{p.Y.A1.BigInt(new(big.Int)), p.Y.A0.BigInt(new(big.Int))},
	}
}

// checkSignatures asks the service manager to accept a certificate of msg by e's operators in
// quorum 0 at reference block ref, at the head; it returns the signed stake, or why it reverts.
func (e *env) checkSignatures(msg [32]byte, ref uint32) (*big.Int, error) {
	e.t.Helper()
	cert := e.certificate(msg, ref)
	totals, _, err := e.checker(e.d.Addresses.ServiceManager).CheckSignatures(&bind.CallOpts{Context: e.ctx}, msg, []byte{0}, ref, cert)
	if err != nil {
		return nil, err
	}
	return totals.SignedStakeForQuorum[0], nil
}

// The certificate an AVS exists to check. Its owner forbids stale stakes while `watch` runs in
// its default mode, after avs-sync has read the rule as off at start. avs-sync follows the switch
// and refreshes quorum 0 whole before the deadline its last refresh (none) sets at block 900, and
// checkSignatures accepts a certificate of the devnet's operators, signed with their BLS keys, at a
// reference block past it. Without avs-sync the same certificate reverts: the stored stakes are
// stale in the checker's eyes.
func TestCertificateAcceptedPastStaleStakesDeadline(t *testing.T) {
	msg := crypto.Keccak256Hash([]byte("a task the operators sign"))
	// certify takes the chain past the deadline the stored stakes had when the rule was switched
	// on (block 900: quorum 0 was never refreshed whole), and returns a certificate's reference
	// block there and what checkSignatures says of it.
	certify := func(e *env) (ref uint32, signed *big.Int, err error) {
		e.mineTo(devnetDelay)
		e.waitBlocks(2)
		ref = uint32(e.head() - 1)
		signed, err = e.checkSignatures(msg, ref)
		return ref, signed, err
	}

	t.Run("without avs-sync the certificate is rejected", func(t *testing.T) {
		e := newEnv(t, 3, 0)
		if err := devnet.DepositAll(e.ctx, e.ops, eth(10)); err != nil {
			t.Fatal(err)
		}
		// Before the switch the same certificate passes: the rejection below is the rule's.
		e.waitBlocks(2)
		if _, err := e.checkSignatures(msg, uint32(e.head()-1)); err != nil {
			t.Fatalf("certificate with stale stakes allowed: %v", err)
		}
		e.setStaleStakesForbidden(e.d.Addresses.ServiceManager, true)
		ref, _, err := certify(e)
		if err == nil {
			t.Fatalf("certificate at reference block %d accepted: quorum 0 last refreshed at %d, withdrawal delay %d", ref, e.updateBlock(), devnetDelay)
		}
		if reason := revertReason(t, err); reason != "StaleStakesForbidden" {
			t.Fatalf("certificate rejected with %q (%v), want StaleStakesForbidden", reason, err)
		}
		t.Logf("reference block %d (quorum 0 last refreshed at block %d): %v", ref, e.updateBlock(), err)
		e.planAndStatusShowDeadline(devnetDelay)
	})

	t.Run("with avs-sync watching it is accepted", func(t *testing.T) {
		e := newEnv(t, 3, 0)
		if err := devnet.DepositAll(e.ctx, e.ops, eth(10)); err != nil {
			t.Fatal(err)
		}
		from := e.head()
		w := e.watchBinary(e.d.HTTPURL, e.d.WSURL)
		if f := w.gauge("avssync_stale_stakes_forbidden"); f != 0 {
			t.Fatalf("avssync_stale_stakes_forbidden %v at start, want 0: the rule is off", f)
		}
		if dl := w.gauge(`avssync_stale_stakes_deadline_block{quorum="0"}`); dl != 0 {
			t.Fatalf("deadline %v before the rule is on, want 0", dl)
		}
		switched := e.setStaleStakesForbidden(e.d.Addresses.ServiceManager, true)
		e.waitFor("the daemon follows the switch", 30*time.Second, func() bool {
			return w.gauge("avssync_stale_stakes_forbidden") == 1
		})
		// The deadline from the last refresh (none: block 0) is due from block 600 (900 less the
		// 300 blocks of margin): avs-sync refreshes quorum 0 whole then, in the audit mode that
		// sends no whole refresh otherwise.
		e.waitFor("quorum 0 refreshed whole for its deadline", 60*time.Second, func() bool {
			e.mineTo(devnetDelay - defaultMargin)
			return len(e.quorumUpdates(0, switched)) > 0
		})
		refreshed := e.updateBlock()
		if got := w.gauge(`avssync_stale_stakes_deadline_block{quorum="0"}`); uint64(got) != refreshed+devnetDelay {
			e.waitFor("the deadline gauge moves to the refresh", 10*time.Second, func() bool {
				return uint64(w.gauge(`avssync_stale_stakes_deadline_block{quorum="0"}`)) == refreshed+devnetDelay
			})
		}
		ref, signed, err := certify(e)
		if err != nil {
			t.Fatalf("certificate at reference block %d rejected (quorum 0 refreshed at %d): %v", ref, refreshed, err)
		}
		if ref < devnetDelay {
			t.Fatalf("reference block %d is not past the old deadline %d", ref, devnetDelay)
		}
		if ups := e.quorumUpdates(0, from); len(ups) != 1 {
			t.Fatalf("%d whole refreshes of quorum 0 (blocks %v), want 1", len(ups), ups)
		}
		t.Logf("rule switched on at block %d; quorum 0 refreshed whole at block %d (gas %s); certificate at reference block %d accepted, signed stake %s",
			switched, refreshed, refreshGas(e, refreshed), ref, signed)
	})
}

// refreshGas is the gas of the updateOperatorsForQuorum mined in block, for the log.
func refreshGas(e *env, block uint64) string {
	b, err := e.eth.BlockByNumber(e.ctx, new(big.Int).SetUint64(block))
	if err != nil {
		return err.Error()
	}
	for _, tx := range b.Transactions() {
		if tx.To() != nil && *tx.To() == e.d.Addresses.RegistryCoordinator {
			r, err := e.eth.TransactionReceipt(e.ctx, tx.Hash())
			if err != nil {
				return err.Error()
			}
			return fmt.Sprint(r.GasUsed)
		}
	}
	return "unknown"
}

// within reports whether cond holds at some check within d; unlike waitFor, not holding is an
// answer, for a test that gives the daemon time to do what it must not.
func (e *env) within(d time.Duration, cond func() bool) bool {
	e.t.Helper()
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	tick := time.NewTicker(blockTime / 2)
	defer tick.Stop()
	for !cond() {
		select {
		case <-timeout.C:
			return false
		case <-e.ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// quorumUpdateLogs returns the QuorumBlockNumberUpdated logs of quorum from block from on.
func (e *env) quorumUpdateLogs(quorum uint8, from uint64) []types.Log {
	e.t.Helper()
	rcABI, err := regcoord.ContractRegistryCoordinatorMetaData.GetAbi()
	if err != nil {
		e.t.Fatal(err)
	}
	logs, err := e.eth.FilterLogs(e.ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from),
		Addresses: []common.Address{e.d.Addresses.RegistryCoordinator},
		Topics:    [][]common.Hash{{rcABI.Events["QuorumBlockNumberUpdated"].ID}, {common.BigToHash(big.NewInt(int64(quorum)))}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return logs
}

// --signature-checker-addr names a checker other than the service manager (as an AVS whose task
// manager checks certificates): its switch is followed both ways, and the service manager's is
// not. A checker whose flag cannot be read counts as forbidding stale stakes, with one warning.
func TestSignatureCheckerElsewhere(t *testing.T) {
	t.Run("a checker named by the flag is followed", func(t *testing.T) {
		e := newEnv(t, 2, 0)
		checker := e.deployChecker()
		from := e.head()
		w := e.watchBinary(e.d.HTTPURL, e.d.WSURL, "--signature-checker-addr", checker.Hex(), "--debounce", debounce.String())
		// The service manager forbids stale stakes; it is not the checker, so nothing changes.
		e.setStaleStakesForbidden(e.d.Addresses.ServiceManager, true)
		on := e.setStaleStakesForbidden(checker, true)
		e.waitFor("the checker's switch followed", 30*time.Second, func() bool {
			return w.gauge("avssync_stale_stakes_forbidden") == 1 &&
				w.gauge(`avssync_stale_stakes_deadline_block{quorum="0"}`) == float64(e.updateBlock()+devnetDelay)
		})
		e.waitFor("quorum 0 refreshed whole for its deadline", 60*time.Second, func() bool {
			e.mineTo(devnetDelay - defaultMargin)
			return len(e.quorumUpdates(0, on)) > 0
		})
		refreshed := e.updateBlock()
		off := e.setStaleStakesForbidden(checker, false)
		e.waitFor("the checker's switch back followed, the service manager's still ignored", 30*time.Second, func() bool {
			return w.gauge("avssync_stale_stakes_forbidden") == 0 && w.gauge(`avssync_stale_stakes_deadline_block{quorum="0"}`) == 0
		})
		if n := w.count("staleStakesForbidden() of this signature checker cannot be read (it reverts or the address has no such function): " +
			"taken as forbidding stale stakes, so each quorum is refreshed whole once per withdrawal delay; " +
			"if the AVS's BLSSignatureChecker is another contract, name it with --signature-checker-addr"); n != 0 {
			t.Fatalf("%d warnings of an unreadable checker, want none", n)
		}
		if ups := e.quorumUpdates(0, from); len(ups) != 1 {
			t.Fatalf("%d whole refreshes (blocks %v), want 1", len(ups), ups)
		}
		t.Logf("checker %s switched on at block %d, quorum 0 refreshed whole at %d, switched off at %d", checker, on, refreshed, off)
	})

	t.Run("a checker whose flag reverts forbids, with one warning", func(t *testing.T) {
		e := newEnv(t, 2, 0)
		const warning = "staleStakesForbidden() of this signature checker cannot be read (it reverts or the address has no such function): " +
			"taken as forbidding stale stakes, so each quorum is refreshed whole once per withdrawal delay; " +
			"if the AVS's BLSSignatureChecker is another contract, name it with --signature-checker-addr"
		// The mock ERC20 has no staleStakesForbidden(): the call reverts.
		from := e.head()
		w := e.watchBinary(e.d.HTTPURL, e.d.WSURL, "--signature-checker-addr", e.d.Addresses.Token.Hex(), "--debounce", debounce.String())
		if f := w.gauge("avssync_stale_stakes_forbidden"); f != 1 {
			t.Fatalf("avssync_stale_stakes_forbidden %v, want 1", f)
		}
		// The conservative schedule: quorum 0, never refreshed whole, is refreshed from block 600.
		e.waitFor("quorum 0 refreshed whole for its deadline", 60*time.Second, func() bool {
			e.mineTo(devnetDelay - defaultMargin)
			return len(e.quorumUpdates(0, from)) > 0
		})
		refreshed := e.quorumUpdates(0, from)[0]
		if refreshed < devnetDelay-defaultMargin {
			t.Fatalf("refreshed at block %d, before the deadline's margin opened at %d", refreshed, devnetDelay-defaultMargin)
		}
		e.waitFor("the deadline from the refresh", 10*time.Second, func() bool {
			return w.gauge(`avssync_stale_stakes_deadline_block{quorum="0"}`) == float64(refreshed+devnetDelay)
		})
		// A reload (a quorum's configuration changed) reads the rule again: no second warning.
		loads := w.count("loaded AVS state")
		if err := e.owner.SetMinimumStake(e.ctx, 0, big.NewInt(0)); err != nil {
			t.Fatal(err)
		}
		e.waitFor("a reload", 30*time.Second, func() bool { return w.count("loaded AVS state") > loads })
		if n := w.count(warning); n != 1 {
			t.Fatalf("%d warnings of the unreadable checker, want exactly 1", n)
		}
		if ups := e.quorumUpdates(0, from); len(ups) != 1 {
			t.Fatalf("%d whole refreshes (blocks %v), want 1", len(ups), ups)
		}
		t.Logf("unreadable checker: quorum 0 refreshed whole at block %d for the deadline at %d", refreshed, devnetDelay)
	})
}

// A reorg drops the block of avs-sync's deadline refresh, and the refresh comes back one block
// later. Exactly one whole refresh is mined: the quorum's last refresh is read from the contract
// at the new head, and the refresh the reorg put back into the pool is given time to land rather
// than sent twice.
func TestReorgedDeadlineRefreshSentOnce(t *testing.T) {
	e := newEnv(t, 2, 0)
	e.setStaleStakesForbidden(e.d.Addresses.ServiceManager, true)
	if e.head() >= devnetDelay-defaultMargin {
		t.Fatalf("devnet at block %d: quorum 0's deadline refresh (due from %d) would go out before the test holds the chain", e.head(), devnetDelay-defaultMargin)
	}
	from := e.head()
	w := e.watchBinary(e.d.HTTPURL, e.d.WSURL, "--debounce", debounce.String())
	// The chain is held, then taken to block 600, from which quorum 0 (never refreshed whole) is
	// due: the refresh waits in the pool, and is mined in the one block made after it.
	e.d.Pause(true)
	defer e.d.Pause(false)
	if h := e.head(); h >= devnetDelay-defaultMargin {
		t.Fatalf("block %d when the chain was held: the deadline refresh went out before", h)
	}
	e.mineTo(devnetDelay - defaultMargin)
	e.waitFor("the deadline refresh sent", 60*time.Second, func() bool {
		n, err := e.eth.PendingNonceAt(e.ctx, e.sender)
		return err == nil && n > e.sent()
	})
	e.d.Mine()
	var refresh common.Hash
	e.waitFor("the deadline refresh mined and seen", 30*time.Second, func() bool {
		ups := e.quorumUpdateLogs(0, from)
		// The daemon has taken the receipt (its batch is done) and the event.
		if len(ups) == 0 || !w.has("stakes updated") || w.gauge(`avssync_events_total{kind="quorum_updated"}`) < 1 {
			return false
		}
		refresh = ups[0].TxHash
		return true
	})
	removed := w.gauge(`avssync_events_total{kind="quorum_updated"}`)
	sent := w.count("transaction sent")
	dropped, back, err := e.d.ReincludeLater(e.ctx, refresh, func() error {
		e.waitFor("the daemon sees the refresh removed", 30*time.Second, func() bool {
			return w.gauge(`avssync_events_total{kind="quorum_updated"}`) > removed
		})
		// Fifty block times for the daemon to do what it must not: send the refresh again (its
		// nonce may be above the pool's, so the daemon's own log tells).
		if e.within(50*blockTime, func() bool { return w.count("transaction sent") > sent }) {
			return errors.New("a second refresh was sent while the first was out of the chain")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.d.Pause(false)
	e.waitBlocks(30)
	ups := e.quorumUpdates(0, from)
	if len(ups) != 1 || ups[0] != back || back != dropped+1 {
		t.Fatalf("whole refreshes at blocks %v; want exactly one, the re-included one at %d (dropped from %d)", ups, back, dropped)
	}
	t.Logf("refresh dropped from block %d, re-included at %d; one whole refresh mined, deadline now %v",
		dropped, back, w.gauge(`avssync_stale_stakes_deadline_block{quorum="0"}`))
}

// planAndStatusShowDeadline checks that `status` and `plan` tell what the daemon does on an AVS
// that forbids stale stakes, with quorum 0's deadline at block deadline, now within the margin:
// `status` shows the rule and the deadline, `plan` the deadline and the whole refresh it sends.
func (e *env) planAndStatusShowDeadline(deadline uint64) {
	e.t.Helper()
	r := e.runCLI(append([]string{"status", "--json"}, e.baseArgs()...)...)
	if r.code != 0 {
		e.t.Fatalf("status exit %d:\n%s", r.code, r.stderr)
	}
	var st struct {
		StaleStakes struct {
			Forbidden   bool     `json:"forbidden"`
			ForbiddenBy []string `json:"forbidden_by"`
		} `json:"stale_stakes"`
		Quorums []struct {
			Deadline uint64 `json:"deadline"`
		} `json:"quorums"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		e.t.Fatalf("status output is not JSON: %v\n%s", err, r.stdout)
	}
	if !st.StaleStakes.Forbidden || len(st.Quorums) == 0 || st.Quorums[0].Deadline != deadline {
		e.t.Fatalf("status %+v, want stale stakes forbidden and quorum 0's deadline at %d", st, deadline)
	}
	r = e.runCLI(append([]string{"plan", "--json"}, e.baseArgs()...)...)
	if r.code != 0 {
		e.t.Fatalf("plan exit %d:\n%s", r.code, r.stderr)
	}
	var pl struct {
		Deadlines []struct {
			Quorum   uint8  `json:"quorum"`
			Deadline uint64 `json:"deadline"`
			Due      bool   `json:"due"`
		} `json:"deadlines"`
		Transactions []struct {
			Kind    string  `json:"kind"`
			Quorums []uint8 `json:"quorums"`
		} `json:"transactions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &pl); err != nil {
		e.t.Fatalf("plan output is not JSON: %v\n%s", err, r.stdout)
	}
	if len(pl.Deadlines) != 1 || pl.Deadlines[0].Deadline != deadline || !pl.Deadlines[0].Due {
		e.t.Fatalf("plan deadlines %+v, want quorum 0's at %d, due", pl.Deadlines, deadline)
	}
	if !slices.ContainsFunc(pl.Transactions, func(tx struct {
		Kind    string  `json:"kind"`
		Quorums []uint8 `json:"quorums"`
	}) bool {
		return tx.Kind == "updateOperatorsForQuorum" && slices.Contains(tx.Quorums, 0)
	}) {
		e.t.Fatalf("plan transactions %+v, want quorum 0 refreshed whole", pl.Transactions)
	}
}

// revertReason names the service manager's custom error a call reverted with.
func revertReason(t *testing.T, err error) string {
	t.Helper()
	var de rpc.DataError
	if !errors.As(err, &de) {
		return ""
	}
	data, _ := de.ErrorData().(string)
	raw, decErr := hexutil.Decode(data)
	if decErr != nil || len(raw) < 4 {
		return ""
	}
	a, abiErr := msm.ContractMockAvsServiceManagerMetaData.GetAbi()
	if abiErr != nil {
		t.Fatal(abiErr)
	}
	for name, e := range a.Errors {
		if string(e.ID[:4]) == string(raw[:4]) {
			return name
		}
	}
	return fmt.Sprintf("%x", raw[:4])
}
