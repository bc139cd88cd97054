-- Issue 8: every guided conversation now runs in ONE ConversationHandler, "wizard", with its draft in
-- user_data["wizard"]. The two earlier conversations ("member_reports", "secretary") and their drafts
-- ("m_report", "s_draft") are never read again: drop them, so an upgrade leaves no orphaned state. A user
-- who was mid-way simply starts again from the menu (their old buttons are answered as no longer active).
DELETE FROM persistence WHERE kind IN ('conversation:member_reports', 'conversation:secretary');
UPDATE persistence SET value = json_remove(value, '$.m_report', '$.s_draft')
    WHERE kind = 'user_data' AND (json_extract(value, '$.m_report') IS NOT NULL
                                  OR json_extract(value, '$.s_draft') IS NOT NULL);
DELETE FROM persistence WHERE kind = 'user_data' AND value = '{}';
