// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title SettlementRegistry
/// @notice Anchors Merkle roots of settlement leaves so that anyone can check that a settlement was
/// recorded, with a proof, against this contract alone. Leaves are double-hashed
/// (`keccak256(bytes.concat(keccak256(abi.encode(...))))`) and pairs are sorted, as in OpenZeppelin's
/// `MerkleProof` and `StandardMerkleTree`.
contract SettlementRegistry is AccessControl {
    /// @notice Role allowed to anchor roots.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice What is recorded for an anchored root.
    struct Anchor {
        uint64 batchId;
        uint32 leafCount;
        uint64 anchoredAt;
        uint64 blockNumber;
    }

    mapping(bytes32 root => Anchor) private _anchors;

    /// @notice A Merkle root of `leafCount` settlements was anchored.
    event RootAnchored(bytes32 indexed root, uint64 indexed batchId, uint32 leafCount, address anchorer);

    /// @notice The root is zero or the batch is empty.
    error EmptyBatch();
    /// @notice This root is already anchored.
    error AlreadyAnchored(bytes32 root);

    /// @param admin Receives the default admin and anchorer roles.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
    }

    /// @notice Anchors a Merkle root of settlement leaves.
    /// @param root The Merkle root.
    /// @param batchId The marketplace's batch number.
    /// @param leafCount How many settlements the tree holds.
    function anchor(bytes32 root, uint64 batchId, uint32 leafCount) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0) || leafCount == 0) revert EmptyBatch();
        if (_anchors[root].anchoredAt != 0) revert AlreadyAnchored(root);
        _anchors[root] = Anchor(batchId, leafCount, uint64(block.timestamp), uint64(block.number));
        emit RootAnchored(root, batchId, leafCount, msg.sender);
    }

    /// @notice Whether `root` was anchored.
    /// @param root The Merkle root.
    function isAnchored(bytes32 root) external view returns (bool) {
        return _anchors[root].anchoredAt != 0;
    }

    /// @notice The record of an anchored root (all zero if not anchored).
    /// @param root The Merkle root.
    function anchorOf(bytes32 root) external view returns (Anchor memory) {
        return _anchors[root];
    }

    /// @notice Whether `leaf` is in the anchored tree with root `root`.
    /// @param root An anchored Merkle root.
    /// @param proof Sibling hashes from the leaf up to the root.
    /// @param leaf A settlement leaf, as returned by {settlementLeaf}.
    function verify(bytes32 root, bytes32[] calldata proof, bytes32 leaf) external view returns (bool) {
        return _anchors[root].anchoredAt != 0 && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice The leaf of one settlement: what the deal was, and who got how much.
    /// @param dealId The escrow deal id.
    /// @param termsDigest EIP-712 digest of the terms the deal was opened with.
    /// @param token The payment token.
    /// @param sellerAmount Amount paid to the seller.
    /// @param buyerAmount Amount returned to the buyer.
    /// @param outcome 1 released to the seller, 2 refunded to the buyer.
    function settlementLeaf(
        bytes32 dealId,
        bytes32 termsDigest,
        address token,
        uint256 sellerAmount,
        uint256 buyerAmount,
        uint8 outcome
    ) external pure returns (bytes32) {
        return keccak256(
            bytes.concat(keccak256(abi.encode(dealId, termsDigest, token, sellerAmount, buyerAmount, outcome)))
        );
    }
}
