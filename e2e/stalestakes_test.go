package e2e

import (
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	blsapkregistry "github.com/Layr-Labs/eigensdk-go/contracts/bindings/BLSApkRegistry"
	msm "github.com/Layr-Labs/eigensdk-go/contracts/bindings/MockAvsServiceManager"
	opstateretriever "github.com/Layr-Labs/eigensdk-go/contracts/bindings/OperatorStateRetriever"
	"github.com/Layr-Labs/eigensdk-go/crypto/bls"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

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
		t.Logf("reference block %d (quorum 0 last refreshed at block %d): %v", ref, e.updateBlock(), err)
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
