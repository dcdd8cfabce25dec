//! The storage contract: one test suite that every store adapter runs, so SQLite and PostgreSQL
//! behave the same behind the ports of `gatehouse_domain::store`.
//!
//! An adapter's `tests/contract.rs` defines `async fn fresh_store() -> Option<Arc<dyn Store>>`
//! (a new, migrated, empty database; `None` skips the suite, e.g. when no PostgreSQL URL is
//! given) and calls `gatehouse_store_contract::store_contract_tests!(fresh_store().await);`.
//! Its `tests/tamper.rs` implements [`tamper::Tamper`] with raw SQL and calls
//! `gatehouse_store_contract::tamper_tests!(fresh_tamperable().await);`.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test suite: a failed step is a failed test"
)]

pub mod audit;
pub mod fixtures;
pub mod jobs;
pub mod keys;
pub mod mfa;
pub mod oauth;
pub mod rbac;
pub mod sessions;
pub mod tamper;
pub mod throttle;
pub mod tokens;
pub mod users;

/// Expands to one `#[tokio::test]` per contract test. `$make` is an expression, evaluated
/// inside an async test, that yields `Option<Arc<dyn Store>>`.
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::contract_module!($make, keys: [
            data_key_is_inserted_once_per_purpose,
            rewrap_replaces_every_given_key,
            subject_key_is_inserted_once_and_destruction_is_final,
        ]);
        $crate::contract_module!($make, audit: [
            audit_rows_round_trip_exactly,
            rolled_back_audit_event_leaves_nothing,
            list_filters_and_pages_newest_first,
            chaining_links_rows_in_position_order_and_keeps_the_head,
            prune_personal_clears_only_old_personal_data,
        ]);
        $crate::contract_module!($make, jobs: [
            rolled_back_transaction_leaves_no_job,
            claim_takes_only_due_jobs_up_to_the_limit,
            concurrent_claims_never_share_a_job,
            expired_lease_is_taken_over_and_old_worker_loses_the_job,
            lease_expired_on_last_attempt_makes_the_job_dead,
            extend_leases_only_for_the_holder,
            retry_later_then_dead_then_retry_dead,
            unique_key_blocks_duplicates_until_the_holder_finishes,
            cron_tick_advances_once,
            counts_list_and_prune_finished,
            idempotency_key_is_used_once,
        ]);
        $crate::contract_module!($make, users: [
            user_is_found_by_id_and_by_normalized_email,
            duplicate_normalized_email_is_refused_on_insert_and_update,
            update_replaces_every_field_but_id_and_created_at,
            lock_user_reads_the_user_inside_the_transaction,
            password_is_set_then_replaced,
            rehash_replaces_only_an_unchanged_hash,
            record_sign_in_sets_last_sign_in_at,
            list_pages_in_id_order,
            search_filters_by_every_field,
            search_query_is_a_case_insensitive_substring_with_literal_wildcards,
            search_pages_with_the_cursor,
            delete_user_takes_everything_that_hangs_off_them,
        ]);
        $crate::contract_module!($make, sessions: [
            touch_returns_a_live_session_and_moves_last_seen_at,
            touch_refuses_revoked_expired_and_idle_sessions,
            list_for_user_shows_live_sessions_newest_first,
            revoke_session_revokes_only_the_owners_live_session,
            revoke_sessions_spares_the_kept_one,
            prune_deletes_sessions_ended_before_the_cutoff,
            authenticated_at_round_trips,
            reauthenticate_session_changes_only_live_sessions,
        ]);
        $crate::contract_module!($make, tokens: [
            token_is_consumed_once,
            rolled_back_consume_leaves_the_token_usable,
            code_attempts_count_until_spent,
            code_attempt_goes_to_the_newest_token,
            consume_by_id_works_once,
            revoke_one_time_tokens_consumes_only_the_users_purpose,
        ]);
        $crate::contract_module!($make, throttle: [
            parallel_attempts_allow_exactly_the_free_ones,
            delays_double_up_to_the_cap,
            old_failures_are_forgotten,
            clear_forgets_every_failure,
            prune_deletes_only_old_unblocking_keys,
        ]);
        $crate::contract_module!($make, rbac: [
            seed_is_present_after_migrate,
            entities_upsert_and_rename_round_trip,
            taken_names_are_already_exists,
            link_sets_are_replaced,
            delete_role_removes_its_links_and_assignments,
            deletes_cascade_to_dependants,
            group_members_are_added_once_and_removed,
            assign_role_replaces_the_expiry_and_unassign_takes_it,
            user_assignments_list_direct_roles_and_groups,
            active_holders_honour_expiry_groups_and_status,
            bump_increments_and_a_rolled_back_change_leaves_nothing,
            concurrent_model_changes_take_turns,
            links_to_unknown_rows_are_not_found,
        ]);
        $crate::contract_module!($make, mfa: [
            totp_devices_round_trip_oldest_first,
            totp_step_is_accepted_once_and_only_forward,
            unconfirmed_totp_refuses_every_step,
            confirm_totp_works_once_for_the_owner,
            concurrent_totp_steps_are_accepted_once,
            rename_and_delete_totp_only_for_the_owner,
            delete_unconfirmed_totp_spares_confirmed_and_recent_devices,
            recovery_code_is_used_once_by_its_owner,
            replace_recovery_codes_kills_the_old_ones,
            concurrent_uses_of_a_recovery_code_succeed_once,
            webauthn_credentials_round_trip_oldest_first,
            duplicate_credential_id_is_already_exists,
            update_webauthn_use_records_the_use,
            rename_and_delete_webauthn_only_for_the_owner,
            factor_summary_counts_usable_factors,
            delete_all_factors_removes_only_the_users_factors,
            enrolment_due_is_stored_once,
            rolled_back_mfa_changes_leave_nothing,
            challenge_is_read_only_while_live,
            challenge_is_consumed_once_and_only_for_its_kind,
            challenge_attempts_count_up_to_the_max,
            update_challenge_state_changes_only_live_challenges,
            prune_challenges_deletes_challenges_ended_before_the_cutoff,
            concurrent_challenge_consumptions_succeed_once,
        ]);
        $crate::contract_module!($make, oauth: [
            clients_round_trip_by_name_then_id,
            taken_client_id_is_already_exists,
            update_client_needs_the_expected_version,
            client_roles_and_logo_are_replaced,
            delete_client_takes_everything_that_hangs_off_it,
            signing_keys_round_trip_oldest_first,
            retire_signing_keys_spares_the_kept_key_and_other_algorithms,
            prune_signing_keys_deletes_only_expired_keys,
            code_is_redeemed_once,
            rolled_back_redemption_leaves_the_code_fresh,
            codes_need_a_known_client_and_user_and_a_new_digest,
            concurrent_redemptions_get_one_fresh_code,
            grants_and_refresh_tokens_round_trip,
            refresh_token_is_used_once,
            concurrent_refresh_token_uses_get_one_fresh_token,
            grant_is_revoked_once,
            revoke_user_grants_returns_the_revoked_ids,
            revoke_session_grants_ends_the_sessions_grants,
            consent_keeps_the_first_time_and_is_revoked_per_client,
            consent_needs_a_known_user_and_client,
            idempotent_response_is_stored_once_per_actor_and_key,
            reservation_is_completed_or_released_once_by_its_holder,
            abandoned_reservation_is_taken_over_only_when_old_and_pending,
            concurrent_reservations_of_a_key_have_one_winner,
            concurrent_takeovers_of_an_abandoned_reservation_have_one_winner,
            prune_deletes_what_ended_before_the_cutoff,
        ]);
    };
}

/// Implementation detail of [`store_contract_tests!`]: one module of tests.
#[macro_export]
macro_rules! contract_module {
    ($make:expr, $module:ident : [$($name:ident),* $(,)?]) => {
        mod $module {
            #[expect(unused_imports, reason = "the caller's helpers are used through $make")]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(store) = $make {
                        $crate::$module::$name(store).await;
                    }
                }
            )*
        }
    };
}
