"""Inventory-backed financing: grants to banks, co-signed pledges, coverage proofs.

* :class:`Pledge` / :class:`SignedPledge`: the pledge both borrower and bank sign
  (a C2SP signed note over its RFC 8785 body); the quantity is a Pedersen
  commitment with a range proof; :func:`registry_key` names (borrower, SKU, site,
  month) so other banks find that a pledge exists without learning its terms.
* :class:`Coverage`, :func:`prove_coverage_at`: for a snapshot, committed available
  stock covers the sum of ALL active pledges (at a ratio of the ladder), in zero
  knowledge, with a range proof on every pledge.
* :class:`BankRegistry`, :func:`collateral_key`, :func:`review_request`: the banks'
  collateral registry — blinded collateral keys in each bank's own witnessed log,
  asked by signed peer requests — so a bank checks "is this already pledged"
  without trusting the borrower and without learning another bank's terms.
* :func:`verify_financing`: the offline check of a financing bundle
  (``scnode-evidence/v1`` plus a ``financing`` member) and the credit officer's
  :class:`FinancingReport` (:func:`render_report`).
* :func:`build_forwarded` / :func:`verify_forwarded`: a supplier's facts forwarded
  unchanged across tiers.
* :class:`Finance`: the borrower node's service (database and ledger edge);
  :class:`CoverageWorker` / :func:`start_finance`: coverage proven for every new
  snapshot under pledge without a manual step.

See docs/financing.md and docs/threat-model-financing.md.
"""

from node.finance._ask import Vetted, ask_banks, bank_peers, vet_request
from node.finance._bank import BankRegistry, Review, review_request
from node.finance._bundle import (
    FINANCING_FORMAT,
    FINANCING_MEMBER,
    FinancingHeader,
    build_financing_bundle,
    is_financing_bundle,
)
from node.finance._collateral import (
    ANSWER_FORMAT,
    COLLATERAL_FORMAT,
    COLLATERAL_KIND,
    COLLATERAL_TAG,
    Collateral,
    CollateralAnswer,
    CollateralRecord,
    DoublePledgeError,
    check_collateral,
    collateral_key,
    held_pledges,
    verify_collateral_answer,
)
from node.finance._coverage import (
    BASIS,
    COVERAGE_FORMAT,
    COVERAGE_KIND,
    RATIO_LADDER,
    Coverage,
    PledgeRef,
    coverage_context,
    prove_coverage_at,
    scale_commitment,
    scale_opening,
)
from node.finance._errors import (
    FinanceError,
    FinanceFormatError,
    FinanceNotFoundError,
    FinanceVerificationError,
    PledgeRefusedError,
    RegistryUnavailableError,
)
from node.finance._forward import (
    FORWARD_FORMAT,
    ForwardedFact,
    ForwardedReport,
    build_forwarded,
    is_forwarded,
    verify_forwarded,
)
from node.finance._grant import GRANT_FORMAT, GRANT_KIND, GrantRecord, grant_digest
from node.finance._pledge import (
    PLEDGE_BITS,
    PLEDGE_FORMAT,
    PLEDGE_KIND,
    REGISTRY_TAG,
    Pledge,
    SignedPledge,
    month_buckets,
    pledge_context,
    registry_key,
)
from node.finance._registry import RegistryHit, period_keys, registry_lookup
from node.finance._report import (
    FinancingReport,
    FinancingVerificationError,
    PledgeLine,
    SnapshotLine,
    render_report,
)
from node.finance._service import CoverResult, Finance, Shortfall, SnapshotOpening
from node.finance._start import AppCoverage, start_finance
from node.finance._tables import finance_grants, finance_pledges
from node.finance._verify import DEFAULT_MAX_GAP_MS, verify_financing
from node.finance._worker import COVER_INTERVAL_S, CoverageWorker, start_coverage_loop

__all__ = [
    "ANSWER_FORMAT",
    "BASIS",
    "COLLATERAL_FORMAT",
    "COLLATERAL_KIND",
    "COLLATERAL_TAG",
    "COVERAGE_FORMAT",
    "COVERAGE_KIND",
    "COVER_INTERVAL_S",
    "DEFAULT_MAX_GAP_MS",
    "FINANCING_FORMAT",
    "FINANCING_MEMBER",
    "FORWARD_FORMAT",
    "GRANT_FORMAT",
    "GRANT_KIND",
    "PLEDGE_BITS",
    "PLEDGE_FORMAT",
    "PLEDGE_KIND",
    "RATIO_LADDER",
    "REGISTRY_TAG",
    "AppCoverage",
    "BankRegistry",
    "Collateral",
    "CollateralAnswer",
    "CollateralRecord",
    "CoverResult",
    "Coverage",
    "CoverageWorker",
    "DoublePledgeError",
    "Finance",
    "FinanceError",
    "FinanceFormatError",
    "FinanceNotFoundError",
    "FinanceVerificationError",
    "FinancingHeader",
    "FinancingReport",
    "FinancingVerificationError",
    "ForwardedFact",
    "ForwardedReport",
    "GrantRecord",
    "Pledge",
    "PledgeLine",
    "PledgeRef",
    "PledgeRefusedError",
    "RegistryHit",
    "RegistryUnavailableError",
    "Review",
    "Shortfall",
    "SignedPledge",
    "SnapshotLine",
    "SnapshotOpening",
    "Vetted",
    "ask_banks",
    "bank_peers",
    "build_financing_bundle",
    "build_forwarded",
    "check_collateral",
    "collateral_key",
    "coverage_context",
    "finance_grants",
    "finance_pledges",
    "grant_digest",
    "held_pledges",
    "is_financing_bundle",
    "is_forwarded",
    "month_buckets",
    "period_keys",
    "pledge_context",
    "prove_coverage_at",
    "registry_key",
    "registry_lookup",
    "render_report",
    "review_request",
    "scale_commitment",
    "scale_opening",
    "start_coverage_loop",
    "start_finance",
    "verify_collateral_answer",
    "verify_financing",
    "verify_forwarded",
    "vet_request",
]
