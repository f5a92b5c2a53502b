// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title TradeEscrow
/// @notice Holds a buyer's stablecoin payment for a cross-border trade until delivery is confirmed, with
/// milestone payments, an inspection window, disputes decided by an arbiter (or by a default outcome when
/// the arbiter is late), mutual settlements, platform and arbiter fees, and payouts that can never be
/// blocked by a recipient the token refuses to pay.
///
/// One singleton holds every deal. A deal is identified by the EIP-712 digest of its terms (its "key"),
/// which the seller signs and the buyer funds; storage keeps a single word per deal (status, shipping and
/// dispute timestamps, released milestones). Every call after {open} passes the terms again; the contract
/// hashes them and finds the deal under that key, so terms can never change after funding.
///
/// Rounding: every fee is `floor(gross * bps / 10_000)` and the remainder stays with the seller; milestone
/// `i` is `floor(amount * cum(i + 1) / 10_000) - floor(amount * cum(i) / 10_000)` where `cum` sums the
/// tranche basis points, so the tranches add up to the amount exactly. On every path
/// `buyer payouts + seller payouts + platform fees + arbiter fee == amount`.
///
/// Deadlines: a deal not shipped by `shipBy` can be refunded to the buyer by anyone; a shipped deal that
/// the buyer neither confirms nor disputes within `inspectionPeriod` can be released to the seller by
/// anyone; a dispute the arbiter does not rule within `disputePeriod` can be closed by anyone with the
/// default split `defaultBuyerBps`. No state waits on one party forever.
contract TradeEscrow is EIP712, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The trade terms a seller signs and a buyer funds.
    /// @param buyer Funds the deal and confirms receipt.
    /// @param seller Signs the terms, ships and is paid.
    /// @param token Allowed ERC-20 the payment is made in.
    /// @param amount Deposit in the token's smallest unit (at most 2^128 - 1).
    /// @param arbiter Who rules disputes; must hold ARBITER_ROLE when ruling.
    /// @param schedule Deadlines, fees and milestones packed in one word (see {decodeSchedule}):
    /// bits 0-39 shipBy (unix time by which the seller must ship), 40-71 inspectionPeriod (seconds after
    /// shipping during which only the buyer may release or dispute), 72-103 disputePeriod (seconds the
    /// arbiter has to rule), 104-119 platformFeeBps (of every payment to the seller), 120-135 arbiterFeeBps
    /// (of what is escrowed when ruling), 136-151 defaultBuyerBps (buyer's share if the arbiter is late),
    /// 152-247 milestones (up to six 16-bit tranches in basis points, lowest first, summing to 10,000;
    /// 0 means a single payment), 248-255 zero.
    /// @param detailsHash keccak256 of the canonical commercial details: the marketplace's deal id, goods,
    /// Incoterm, prices and FX snapshot. It makes every deal's terms, and so its key, unique.
    struct Terms {
        address buyer;
        address seller;
        address token;
        uint256 amount;
        address arbiter;
        uint256 schedule;
        bytes32 detailsHash;
    }

    /// @notice The fields packed in {Terms.schedule}.
    struct Schedule {
        uint64 shipBy;
        uint32 inspectionPeriod;
        uint32 disputePeriod;
        uint16 platformFeeBps;
        uint16 arbiterFeeBps;
        uint16 defaultBuyerBps;
        uint16[] milestones;
    }

    /// @notice State of a deal. `None`: never opened. `Closed` is terminal.
    enum Status {
        None,
        Funded,
        Shipped,
        Disputed,
        Closed
    }

    /// @notice How a deal was closed.
    enum Outcome {
        Released,
        Refunded,
        Ruled,
        DefaultRuled,
        Settled
    }

    /// @notice EIP-712 type hash of {Terms}.
    bytes32 public constant TERMS_TYPEHASH = keccak256(
        "Terms(address buyer,address seller,address token,uint256 amount,address arbiter,uint256 schedule,"
        "bytes32 detailsHash)"
    );
    /// @notice May allow and disallow payment tokens and set the fee recipient.
    bytes32 public constant TOKEN_ADMIN_ROLE = keccak256("TOKEN_ADMIN_ROLE");
    /// @notice May grant and revoke ARBITER_ROLE (the arbiter registry).
    bytes32 public constant ARBITER_REGISTRY_ROLE = keccak256("ARBITER_REGISTRY_ROLE");
    /// @notice Arbiters allowed to rule.
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    /// @notice May pause and unpause new deals.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Highest platform fee a deal may carry (5%).
    uint16 public constant MAX_PLATFORM_FEE_BPS = 500;
    /// @notice Highest arbiter fee a deal may carry (10%).
    uint16 public constant MAX_ARBITER_FEE_BPS = 1000;
    /// @notice Most tokens on the allowlist at once (pausing touches each).
    uint256 public constant MAX_TOKENS = 32;
    /// @notice Most milestones per deal.
    uint256 public constant MAX_MILESTONES = 6;

    uint256 private constant _BPS = 10_000;
    uint256 private constant _TOKEN_ALLOWED = 1;
    uint256 private constant _TOKEN_PAUSED = 2;

    // record layout: status (bits 0-7) | shippedAt (8-47) | disputedAt (48-87) | released milestones (88-95)
    mapping(bytes32 key => uint256 record) private _deals;
    mapping(bytes32 key => bytes32 proposal) private _proposals;
    mapping(address token => uint256 state) private _tokenState;
    mapping(address token => mapping(address account => uint256 amount)) private _credits;
    address[] private _tokens;

    /// @notice Receives platform fees.
    address public feeRecipient;

    /// @notice A deal was funded under terms signed by its seller; `key` identifies it from now on.
    event DealOpened(bytes32 indexed key, address indexed buyer, address seller, address token, uint256 amount);
    /// @notice The seller declared the goods shipped, with the hash of the shipping document.
    event DealShipped(bytes32 indexed key, bytes32 documentHash);
    /// @notice A party added a document or evidence hash.
    event EvidenceAdded(bytes32 indexed key, address indexed party, bytes32 evidenceHash);
    /// @notice Milestone `index` was paid to the seller (`sellerAmount` after `platformFee`).
    event MilestoneReleased(bytes32 indexed key, uint256 index, uint256 sellerAmount, uint256 platformFee);
    /// @notice A party opened a dispute.
    event DealDisputed(bytes32 indexed key, address indexed party, bytes32 evidenceHash);
    /// @notice A party proposed to settle with `buyerAmount` of what is still escrowed going to the buyer.
    event SettlementProposed(bytes32 indexed key, address indexed party, uint256 buyerAmount);
    /// @notice The deal ended. Amounts are totals over the whole deal and add up to its amount.
    event DealClosed(
        bytes32 indexed key,
        Outcome outcome,
        uint256 buyerAmount,
        uint256 sellerAmount,
        uint256 platformFee,
        uint256 arbiterFee
    );
    /// @notice A payout failed (the token refused it) and was credited to `account` to claim later.
    event PayoutCredited(address indexed token, address indexed account, uint256 amount);
    /// @notice `account` claimed its credit, paid to `to`.
    event CreditClaimed(address indexed token, address indexed account, address to, uint256 amount);
    /// @notice A token was allowed or disallowed for new deals.
    event TokenAllowed(address indexed token, bool allowed);
    /// @notice Platform fees go to `recipient` from now on.
    event FeeRecipientSet(address indexed recipient);

    /// @notice The token is not on the allowlist.
    error TokenNotAllowed(address token);
    /// @notice The allowlist is full.
    error TooManyTokens();
    /// @notice A deal with these terms was already opened.
    error DealExists(bytes32 key);
    /// @notice No deal was opened with these terms.
    error UnknownDeal(bytes32 key);
    /// @notice The deal is not in a state that allows this action.
    error WrongStatus(bytes32 key, Status status);
    /// @notice The caller may not do this to this deal now.
    error Unauthorized(bytes32 key, address caller);
    /// @notice The seller's signature does not match the terms.
    error InvalidSellerSignature(bytes32 key);
    /// @notice The terms are malformed; `reason` names the rule.
    error InvalidTerms(bytes32 key, string reason);
    /// @notice The deadline for this action has passed.
    error DeadlinePassed(bytes32 key, uint256 deadline);
    /// @notice The deadline that would allow this action has not passed yet.
    error DeadlineNotReached(bytes32 key, uint256 deadline);
    /// @notice The escrow received a different amount than the terms state (fee-on-transfer token).
    error AmountNotReceived(bytes32 key, uint256 expected, uint256 received);
    /// @notice The milestone does not exist or was already released.
    error InvalidMilestone(bytes32 key, uint256 index);
    /// @notice The amount is more than what is still escrowed.
    error AmountTooHigh(bytes32 key, uint256 amount, uint256 available);
    /// @notice No matching settlement proposal from the other party.
    error NoSuchProposal(bytes32 key);
    /// @notice Nothing to claim.
    error NothingToClaim(address token, address account);
    /// @notice The zero address is not allowed here.
    error ZeroAddress();
    /// @notice The escrow cannot pay itself: tokens sent to it outside a deal could never leave.
    error EscrowIsRecipient();

    /// @param admin Receives every role and the fee recipient; split the roles after deployment.
    constructor(address admin) EIP712("Tradewind TradeEscrow", "2") {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(TOKEN_ADMIN_ROLE, admin);
        _grantRole(ARBITER_REGISTRY_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _setRoleAdmin(ARBITER_ROLE, ARBITER_REGISTRY_ROLE);
        feeRecipient = admin;
        emit FeeRecipientSet(admin);
    }

    // ---------------------------------------------------------------------------------------------
    // Administration
    // ---------------------------------------------------------------------------------------------

    /// @notice Allows or disallows a payment token for new deals. Existing deals are not affected.
    /// @param token The ERC-20 token.
    /// @param allowed Whether new deals may use it.
    function setTokenAllowed(address token, bool allowed) external onlyRole(TOKEN_ADMIN_ROLE) {
        if (token == address(0)) revert ZeroAddress();
        bool listed = _tokenState[token] != 0;
        if (allowed && !listed) {
            if (_tokens.length == MAX_TOKENS) revert TooManyTokens();
            _tokens.push(token);
        } else if (!allowed && listed) {
            uint256 last = _tokens.length - 1;
            for (uint256 i; i <= last; ++i) {
                if (_tokens[i] == token) {
                    _tokens[i] = _tokens[last];
                    _tokens.pop();
                    break;
                }
            }
        }
        _tokenState[token] = allowed ? (paused() ? _TOKEN_PAUSED : _TOKEN_ALLOWED) : 0;
        emit TokenAllowed(token, allowed);
    }

    /// @notice Whether `token` is on the allowlist (paused or not).
    /// @param token The ERC-20 token.
    function allowedToken(address token) external view returns (bool) {
        return _tokenState[token] != 0;
    }

    /// @notice Sets who receives platform fees (neither the zero address nor the escrow itself).
    /// @param recipient The new fee recipient.
    function setFeeRecipient(address recipient) external onlyRole(TOKEN_ADMIN_ROLE) {
        if (recipient == address(0)) revert ZeroAddress();
        if (recipient == address(this)) revert EscrowIsRecipient();
        feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }

    /// @notice Stops new deals. Shipping, releases, refunds, disputes, rulings, timeouts and claims go on.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
        _setAllTokens(_TOKEN_PAUSED);
    }

    /// @notice Allows new deals again.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
        _setAllTokens(_TOKEN_ALLOWED);
    }

    // ---------------------------------------------------------------------------------------------
    // Opening
    // ---------------------------------------------------------------------------------------------

    /// @notice Funds a deal. The caller must be the buyer and must have approved `terms.amount`.
    /// @param terms The trade terms.
    /// @param sellerSignature The seller's EIP-712 signature over `terms`: 65 bytes, 64 bytes (ERC-2098),
    /// or whatever the seller's ERC-1271 contract wallet accepts.
    /// @return key The deal's key (the terms digest).
    function open(Terms calldata terms, bytes calldata sellerSignature) external returns (bytes32 key) {
        return _open(terms, sellerSignature);
    }

    /// @notice Funds a deal using an EIP-2612 permit instead of a prior approval. A permit that was
    /// already used (front-run) is ignored as long as the allowance is in place.
    /// @param terms The trade terms.
    /// @param sellerSignature The seller's EIP-712 signature over `terms`.
    /// @param deadline Permit deadline.
    /// @param v Permit signature v.
    /// @param r Permit signature r.
    /// @param s Permit signature s.
    /// @return key The deal's key.
    function openWithPermit(
        Terms calldata terms,
        bytes calldata sellerSignature,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (bytes32 key) {
        try IERC20Permit(terms.token).permit(msg.sender, address(this), terms.amount, deadline, v, r, s) {} catch {}
        return _open(terms, sellerSignature);
    }

    /// @dev No reentrancy guard is needed here: the deal is recorded before any external call, and any
    /// change to the escrow's balance during the transfer (a token calling back into this contract) makes
    /// the balance check fail and reverts everything.
    function _open(Terms calldata terms, bytes calldata sellerSignature) private returns (bytes32 key) {
        key = termsDigest(terms);
        if (_deals[key] != 0) revert DealExists(key);
        if (msg.sender != terms.buyer) revert Unauthorized(key, msg.sender);
        uint256 tokenState = _tokenState[terms.token];
        if (tokenState != _TOKEN_ALLOWED) {
            if (tokenState == _TOKEN_PAUSED) revert EnforcedPause();
            revert TokenNotAllowed(terms.token);
        }
        _checkTerms(key, terms);
        if (!_validSellerSignature(key, terms.seller, sellerSignature)) revert InvalidSellerSignature(key);
        _deals[key] = uint256(Status.Funded);

        IERC20 token = IERC20(terms.token);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), terms.amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != terms.amount) revert AmountNotReceived(key, terms.amount, received);
        emit DealOpened(key, terms.buyer, terms.seller, terms.token, terms.amount);
    }

    /// @dev An EOA signature (65 bytes, or 64 bytes in ERC-2098 compact form) recovering to the seller,
    /// or else a signature the seller's contract wallet accepts (ERC-1271). Recovery is tried first so that
    /// the common case never touches the seller's account.
    function _validSellerSignature(bytes32 key, address seller, bytes calldata signature) private view returns (bool) {
        address recovered;
        ECDSA.RecoverError err;
        if (signature.length == 64) {
            (recovered, err,) = ECDSA.tryRecover(key, bytes32(signature[0:32]), bytes32(signature[32:64]));
        } else {
            (recovered, err,) = ECDSA.tryRecoverCalldata(key, signature);
        }
        if (err == ECDSA.RecoverError.NoError && recovered == seller) return true;
        return SignatureChecker.isValidERC1271SignatureNowCalldata(seller, key, signature);
    }

    function _checkTerms(bytes32 key, Terms calldata terms) private view {
        uint256 schedule = terms.schedule;
        if (terms.amount == 0 || terms.amount > type(uint128).max) revert InvalidTerms(key, "amount");
        if (terms.seller == address(0) || terms.seller == terms.buyer) revert InvalidTerms(key, "seller");
        if (terms.arbiter == address(0) || terms.arbiter == terms.buyer || terms.arbiter == terms.seller) {
            revert InvalidTerms(key, "arbiter");
        }
        if (_shipBy(schedule) <= block.timestamp) revert InvalidTerms(key, "shipBy");
        if (_disputePeriod(schedule) == 0) revert InvalidTerms(key, "disputePeriod");
        if (_platformFeeBps(schedule) > MAX_PLATFORM_FEE_BPS) revert InvalidTerms(key, "platformFeeBps");
        if (_arbiterFeeBps(schedule) > MAX_ARBITER_FEE_BPS) revert InvalidTerms(key, "arbiterFeeBps");
        if (_defaultBuyerBps(schedule) > _BPS) revert InvalidTerms(key, "defaultBuyerBps");
        if (schedule >> 248 != 0) revert InvalidTerms(key, "schedule");
        uint256 packed = schedule >> 152;
        if (packed != 0) {
            uint256 sum;
            while (packed != 0) {
                uint256 bps = packed & 0xffff;
                if (bps == 0) revert InvalidTerms(key, "milestones");
                sum += bps;
                packed >>= 16;
            }
            if (sum != _BPS) revert InvalidTerms(key, "milestones");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Performance
    // ---------------------------------------------------------------------------------------------

    /// @notice The seller declares the goods shipped, by `shipBy`, with a shipping document hash.
    /// @param terms The deal's terms.
    /// @param documentHash Hash of the bill of lading or other shipping document.
    function markShipped(Terms calldata terms, bytes32 documentHash) external {
        (bytes32 key, uint256 record) = _load(terms);
        if (msg.sender != terms.seller) revert Unauthorized(key, msg.sender);
        _expect(key, record, Status.Funded);
        uint256 shipBy = _shipBy(terms.schedule);
        if (block.timestamp > shipBy) revert DeadlinePassed(key, shipBy);
        _deals[key] = (record & ~uint256(0xff)) | (block.timestamp << 8) | uint256(Status.Shipped);
        emit DealShipped(key, documentHash);
    }

    /// @notice Adds a document or evidence hash to an open deal (either party).
    /// @param terms The deal's terms.
    /// @param evidenceHash Hash of the document.
    function addEvidence(Terms calldata terms, bytes32 evidenceHash) external {
        (bytes32 key, uint256 record) = _load(terms);
        _party(key, terms);
        if (_status(record) == Status.Closed) revert WrongStatus(key, Status.Closed);
        emit EvidenceAdded(key, msg.sender, evidenceHash);
    }

    /// @notice The buyer pays one milestone to the seller. Paying the last one closes the deal.
    /// @param terms The deal's terms.
    /// @param index The milestone, from 0.
    function releaseMilestone(Terms calldata terms, uint256 index) external nonReentrant {
        (bytes32 key, uint256 record) = _load(terms);
        if (msg.sender != terms.buyer) revert Unauthorized(key, msg.sender);
        Status status = _status(record);
        if (status != Status.Funded && status != Status.Shipped) revert WrongStatus(key, status);
        uint256 released = _releasedMask(record);
        uint256 count = _milestoneCount(terms.schedule >> 152);
        if (index >= count || released & (1 << index) != 0) revert InvalidMilestone(key, index);
        released |= 1 << index;
        if (released == (1 << count) - 1) {
            _releaseAll(key, terms, record);
            return;
        }
        _deals[key] = (record & ~(uint256(0xff) << 88)) | (released << 88);
        uint256 gross = _tranche(terms, index);
        uint256 fee = (gross * _platformFeeBps(terms.schedule)) / _BPS;
        _paySeller(terms, gross - fee, fee);
        emit MilestoneReleased(key, index, gross - fee, fee);
    }

    /// @notice Pays everything still escrowed to the seller. The buyer may release at any time before
    /// the deal closes (also giving up a dispute); anyone may release a shipped deal once its inspection
    /// period has ended.
    /// @param terms The deal's terms.
    function release(Terms calldata terms) external nonReentrant {
        (bytes32 key, uint256 record) = _load(terms);
        Status status = _status(record);
        if (status == Status.Closed) revert WrongStatus(key, status);
        if (msg.sender != terms.buyer) {
            if (status != Status.Shipped) revert Unauthorized(key, msg.sender);
            uint256 deadline = _shippedAt(record) + _inspectionPeriod(terms.schedule);
            if (block.timestamp <= deadline) revert DeadlineNotReached(key, deadline);
        }
        _releaseAll(key, terms, record);
    }

    /// @notice Returns everything still escrowed to the buyer. The seller may refund at any time before
    /// the deal closes (also ending a dispute); anyone may refund a deal not shipped by `shipBy`.
    /// @param terms The deal's terms.
    function refund(Terms calldata terms) external nonReentrant {
        (bytes32 key, uint256 record) = _load(terms);
        Status status = _status(record);
        if (status == Status.Closed) revert WrongStatus(key, status);
        if (msg.sender != terms.seller) {
            if (status != Status.Funded) revert Unauthorized(key, msg.sender);
            uint256 shipBy = _shipBy(terms.schedule);
            if (block.timestamp <= shipBy) revert DeadlineNotReached(key, shipBy);
        }
        _close(key, terms, record, Outcome.Refunded, _remaining(terms, record), 0);
    }

    // ---------------------------------------------------------------------------------------------
    // Disputes and settlements
    // ---------------------------------------------------------------------------------------------

    /// @notice Either party opens a dispute: before shipping, or within the inspection period after it.
    /// @param terms The deal's terms.
    /// @param evidenceHash Hash of the party's statement or evidence.
    function dispute(Terms calldata terms, bytes32 evidenceHash) external {
        (bytes32 key, uint256 record) = _load(terms);
        _party(key, terms);
        Status status = _status(record);
        if (status == Status.Shipped) {
            uint256 deadline = _shippedAt(record) + _inspectionPeriod(terms.schedule);
            if (block.timestamp > deadline) revert DeadlinePassed(key, deadline);
        } else if (status != Status.Funded) {
            revert WrongStatus(key, status);
        }
        _deals[key] = (record & ~(uint256(0xff) | (uint256(type(uint40).max) << 48))) | (block.timestamp << 48)
            | uint256(Status.Disputed);
        emit DealDisputed(key, msg.sender, evidenceHash);
    }

    /// @notice The deal's arbiter rules a dispute within its dispute period: `buyerAmount` to the buyer,
    /// the arbiter's fee to the arbiter, the rest to the seller (less the platform fee).
    /// @param terms The deal's terms.
    /// @param buyerAmount Amount for the buyer, at most what is escrowed less the arbiter's fee.
    function rule(Terms calldata terms, uint256 buyerAmount) external nonReentrant {
        (bytes32 key, uint256 record) = _load(terms);
        if (msg.sender != terms.arbiter || !hasRole(ARBITER_ROLE, msg.sender)) revert Unauthorized(key, msg.sender);
        _expect(key, record, Status.Disputed);
        uint256 deadline = _disputedAt(record) + _disputePeriod(terms.schedule);
        if (block.timestamp > deadline) revert DeadlinePassed(key, deadline);
        uint256 remaining = _remaining(terms, record);
        uint256 arbiterFee = (remaining * _arbiterFeeBps(terms.schedule)) / _BPS;
        if (buyerAmount > remaining - arbiterFee) revert AmountTooHigh(key, buyerAmount, remaining - arbiterFee);
        _close(key, terms, record, Outcome.Ruled, buyerAmount, arbiterFee);
    }

    /// @notice Anyone closes a dispute the arbiter did not rule in time, with the default split.
    /// @param terms The deal's terms.
    function resolveDefault(Terms calldata terms) external nonReentrant {
        (bytes32 key, uint256 record) = _load(terms);
        _expect(key, record, Status.Disputed);
        uint256 deadline = _disputedAt(record) + _disputePeriod(terms.schedule);
        if (block.timestamp <= deadline) revert DeadlineNotReached(key, deadline);
        uint256 buyerAmount = (_remaining(terms, record) * _defaultBuyerBps(terms.schedule)) / _BPS;
        _close(key, terms, record, Outcome.DefaultRuled, buyerAmount, 0);
    }

    /// @notice A party proposes to settle: `buyerAmount` of what is escrowed to the buyer, the rest to
    /// the seller. A new proposal replaces the previous one.
    /// @param terms The deal's terms.
    /// @param buyerAmount Amount for the buyer.
    function proposeSettlement(Terms calldata terms, uint256 buyerAmount) external {
        (bytes32 key, uint256 record) = _load(terms);
        _party(key, terms);
        Status status = _status(record);
        if (status == Status.Closed) revert WrongStatus(key, status);
        uint256 remaining = _remaining(terms, record);
        if (buyerAmount > remaining) revert AmountTooHigh(key, buyerAmount, remaining);
        _proposals[key] = keccak256(abi.encode(msg.sender, buyerAmount));
        emit SettlementProposed(key, msg.sender, buyerAmount);
    }

    /// @notice The other party accepts a proposal with the same `buyerAmount`; the deal closes.
    /// @param terms The deal's terms.
    /// @param buyerAmount The amount from the proposal.
    function acceptSettlement(Terms calldata terms, uint256 buyerAmount) external nonReentrant {
        (bytes32 key, uint256 record) = _load(terms);
        address other = _party(key, terms) == terms.buyer ? terms.seller : terms.buyer;
        if (_status(record) == Status.Closed) revert WrongStatus(key, Status.Closed);
        if (_proposals[key] != keccak256(abi.encode(other, buyerAmount))) revert NoSuchProposal(key);
        uint256 remaining = _remaining(terms, record);
        if (buyerAmount > remaining) revert AmountTooHigh(key, buyerAmount, remaining);
        delete _proposals[key];
        _close(key, terms, record, Outcome.Settled, buyerAmount, 0);
    }

    // ---------------------------------------------------------------------------------------------
    // Credits
    // ---------------------------------------------------------------------------------------------

    /// @notice Pays the caller's credited payouts in `token` to `to` (any address the token accepts, other
    /// than the zero address and the escrow itself).
    /// @param token The token.
    /// @param to Recipient.
    function claim(address token, address to) external nonReentrant {
        uint256 amount = _credits[token][msg.sender];
        if (amount == 0) revert NothingToClaim(token, msg.sender);
        if (to == address(0)) revert ZeroAddress();
        if (to == address(this)) revert EscrowIsRecipient();
        delete _credits[token][msg.sender];
        IERC20(token).safeTransfer(to, amount);
        emit CreditClaimed(token, msg.sender, to, amount);
    }

    /// @notice Payouts in `token` credited to `account` and not yet claimed.
    /// @param token The token.
    /// @param account The payee.
    function creditOf(address token, address account) external view returns (uint256) {
        return _credits[token][account];
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice EIP-712 digest of the terms under this contract's domain: what the seller signs, and the
    /// key of the deal.
    /// @param terms The trade terms.
    function termsDigest(Terms calldata terms) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(TERMS_TYPEHASH, terms)));
    }

    /// @notice A deal's state.
    /// @param key The deal's key.
    /// @return status Current status.
    /// @return shippedAt When it was marked shipped (0 if not).
    /// @return disputedAt When a dispute was opened (0 if none).
    /// @return releasedMilestones Bit `i` set if milestone `i` was paid.
    function dealState(bytes32 key)
        external
        view
        returns (Status status, uint256 shippedAt, uint256 disputedAt, uint256 releasedMilestones)
    {
        uint256 record = _deals[key];
        return (_status(record), _shippedAt(record), _disputedAt(record), _releasedMask(record));
    }

    /// @notice The deadlines, fees and milestones packed in a {Terms.schedule} word.
    /// @param schedule The packed word.
    function decodeSchedule(uint256 schedule) external pure returns (Schedule memory decoded) {
        decoded.shipBy = uint64(_shipBy(schedule));
        decoded.inspectionPeriod = uint32(_inspectionPeriod(schedule));
        decoded.disputePeriod = uint32(_disputePeriod(schedule));
        decoded.platformFeeBps = uint16(_platformFeeBps(schedule));
        decoded.arbiterFeeBps = uint16(_arbiterFeeBps(schedule));
        decoded.defaultBuyerBps = uint16(_defaultBuyerBps(schedule));
        uint256 packed = schedule >> 152;
        uint256 count = packed == 0 ? 0 : _milestoneCount(packed);
        decoded.milestones = new uint16[](count);
        for (uint256 i; i < count; ++i) {
            decoded.milestones[i] = uint16(packed >> (16 * i));
        }
    }

    /// @notice What is still escrowed for a deal with `terms`.
    /// @param terms The deal's terms.
    function remainingOf(Terms calldata terms) external view returns (uint256) {
        (, uint256 record) = _load(terms);
        return _status(record) == Status.Closed ? 0 : _remaining(terms, record);
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _load(Terms calldata terms) private view returns (bytes32 key, uint256 record) {
        key = termsDigest(terms);
        record = _deals[key];
        if (record == 0) revert UnknownDeal(key);
    }

    function _party(bytes32 key, Terms calldata terms) private view returns (address) {
        if (msg.sender != terms.buyer && msg.sender != terms.seller) revert Unauthorized(key, msg.sender);
        return msg.sender;
    }

    function _expect(bytes32 key, uint256 record, Status expected) private pure {
        Status status = _status(record);
        if (status != expected) revert WrongStatus(key, status);
    }

    function _shipBy(uint256 schedule) private pure returns (uint256) {
        return schedule & type(uint40).max;
    }

    function _inspectionPeriod(uint256 schedule) private pure returns (uint256) {
        return (schedule >> 40) & type(uint32).max;
    }

    function _disputePeriod(uint256 schedule) private pure returns (uint256) {
        return (schedule >> 72) & type(uint32).max;
    }

    function _platformFeeBps(uint256 schedule) private pure returns (uint256) {
        return (schedule >> 104) & 0xffff;
    }

    function _arbiterFeeBps(uint256 schedule) private pure returns (uint256) {
        return (schedule >> 120) & 0xffff;
    }

    function _defaultBuyerBps(uint256 schedule) private pure returns (uint256) {
        return (schedule >> 136) & 0xffff;
    }

    function _status(uint256 record) private pure returns (Status) {
        return Status(record & 0xff);
    }

    function _shippedAt(uint256 record) private pure returns (uint256) {
        return (record >> 8) & type(uint40).max;
    }

    function _disputedAt(uint256 record) private pure returns (uint256) {
        return (record >> 48) & type(uint40).max;
    }

    function _releasedMask(uint256 record) private pure returns (uint256) {
        return (record >> 88) & 0xff;
    }

    function _milestoneCount(uint256 packed) private pure returns (uint256 count) {
        if (packed == 0) return 1;
        while (packed != 0) {
            ++count;
            packed >>= 16;
        }
    }

    /// @dev Cumulative basis points of the first `n` milestones.
    function _cumulativeBps(uint256 packed, uint256 n) private pure returns (uint256 sum) {
        if (packed == 0) return n == 0 ? 0 : _BPS;
        for (uint256 i; i < n; ++i) {
            sum += (packed >> (16 * i)) & 0xffff;
        }
    }

    function _tranche(Terms calldata terms, uint256 index) private pure returns (uint256) {
        uint256 packed = terms.schedule >> 152;
        return (terms.amount * _cumulativeBps(packed, index + 1)) / _BPS
            - (terms.amount * _cumulativeBps(packed, index)) / _BPS;
    }

    /// @dev Gross amount paid to the seller through milestones so far, and the platform fees on it.
    function _paidOut(Terms calldata terms, uint256 record) private pure returns (uint256 gross, uint256 fees) {
        uint256 released = _releasedMask(record);
        for (uint256 i; released != 0; ++i) {
            if (released & 1 != 0) {
                uint256 tranche = _tranche(terms, i);
                gross += tranche;
                fees += (tranche * _platformFeeBps(terms.schedule)) / _BPS;
            }
            released >>= 1;
        }
    }

    function _remaining(Terms calldata terms, uint256 record) private pure returns (uint256) {
        if (_releasedMask(record) == 0) return terms.amount;
        (uint256 gross,) = _paidOut(terms, record);
        return terms.amount - gross;
    }

    function _releaseAll(bytes32 key, Terms calldata terms, uint256 record) private {
        _close(key, terms, record, Outcome.Released, 0, 0);
    }

    /// @dev Closes the deal: `buyerAmount` to the buyer, `arbiterFee` to the arbiter, the rest of what is
    /// escrowed to the seller less the platform fee. Emits the deal's totals.
    function _close(
        bytes32 key,
        Terms calldata terms,
        uint256 record,
        Outcome outcome,
        uint256 buyerAmount,
        uint256 arbiterFee
    ) private {
        _deals[key] = (record & ~uint256(0xff)) | uint256(Status.Closed);
        uint256 sellerGross;
        uint256 sellerNetBefore;
        uint256 feesBefore;
        if (_releasedMask(record) == 0) {
            sellerGross = terms.amount - buyerAmount - arbiterFee;
        } else {
            (uint256 paid, uint256 fees) = _paidOut(terms, record);
            sellerGross = terms.amount - paid - buyerAmount - arbiterFee;
            (sellerNetBefore, feesBefore) = (paid - fees, fees);
        }
        uint256 fee = (sellerGross * _platformFeeBps(terms.schedule)) / _BPS;
        IERC20 token = IERC20(terms.token);
        _pay(token, terms.buyer, buyerAmount);
        _paySeller(terms, sellerGross - fee, fee);
        _pay(token, terms.arbiter, arbiterFee);
        emit DealClosed(
            key, outcome, buyerAmount, sellerNetBefore + sellerGross - fee, feesBefore + fee, arbiterFee
        );
    }

    function _paySeller(Terms calldata terms, uint256 net, uint256 fee) private {
        IERC20 token = IERC20(terms.token);
        _pay(token, terms.seller, net);
        if (fee != 0) _pay(token, feeRecipient, fee);
    }

    /// @dev Transfers, or credits the amount for a later claim if the token refuses the transfer.
    function _pay(IERC20 token, address to, uint256 amount) private {
        if (amount == 0) return;
        if (!token.trySafeTransfer(to, amount)) {
            _credits[address(token)][to] += amount;
            emit PayoutCredited(address(token), to, amount);
        }
    }

    function _setAllTokens(uint256 state) private {
        uint256 n = _tokens.length;
        for (uint256 i; i < n; ++i) {
            _tokenState[_tokens[i]] = state;
        }
    }
}
