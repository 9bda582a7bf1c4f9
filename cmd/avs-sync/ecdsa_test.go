package main

import (
	"strings"
	"testing"
)

// The ECDSA registry's flags and the RegistryCoordinator family's do not mix, and the ECDSA kind
// needs the DelegationManager it weighs.
func TestRegistryKindFlags(t *testing.T) {
	const addr = "0x95401dc811bb5740090279Ba06cfA8fcF6113778"
	for _, tc := range []struct {
		name  string
		ecdsa bool
		cf    ContractFlags
		want  string // "" = accepted
	}{
		{"ECDSA with its DelegationManager", true, ContractFlags{ECDSAStakeRegistryAddr: addr, DelegationManagerAddr: addr}, ""},
		{"ECDSA without a DelegationManager", true, ContractFlags{ECDSAStakeRegistryAddr: addr}, "needs --delegation-manager-addr"},
		{"ECDSA with a coordinator", true, ContractFlags{ECDSAStakeRegistryAddr: addr, DelegationManagerAddr: addr, RegistryCoordinatorAddr: addr}, "drop --registry-coordinator-addr"},
		{"ECDSA with a signature checker", true, ContractFlags{ECDSAStakeRegistryAddr: addr, DelegationManagerAddr: addr, SignatureCheckerAddr: []string{addr}}, "drop --signature-checker-addr"},
		{"BLS", false, ContractFlags{RegistryCoordinatorAddr: addr, OperatorStateRetrieverAddr: addr}, ""},
		{"BLS with a DelegationManager", false, ContractFlags{RegistryCoordinatorAddr: addr, DelegationManagerAddr: addr}, "go with --ecdsa-stake-registry-addr"},
		{"BLS with a from block", false, ContractFlags{RegistryCoordinatorAddr: addr, ECDSAFromBlock: 5}, "go with --ecdsa-stake-registry-addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cf.validateKind(tc.ecdsa)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v; want one saying %q", err, tc.want)
			}
		})
	}
}
