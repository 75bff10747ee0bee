-- +goose Up
-- The tenant's bank of security questions ("soalan rahsia"), bilingual, and each user's three
-- answers, hashed with argon2id like passwords (after trimming and folding case, so "Kuantan"
-- and " kuantan" are the same answer). Answers are never enough alone: forgot-password also
-- needs possession of the registered e-mail address (DESIGN.md §4).
-- The default bank is seeded here for every schema this migration reaches (existing tenants
-- and new ones); account.SeedSecurityQuestions re-seeds it idempotently after provisioning.

CREATE TABLE security_questions (
    id      integer PRIMARY KEY,
    text_ms text NOT NULL,
    text_en text NOT NULL,
    active  boolean NOT NULL DEFAULT true
);

CREATE TABLE user_security_answers (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    question_id integer NOT NULL REFERENCES security_questions (id),
    answer_hash text NOT NULL,
    PRIMARY KEY (user_id, question_id)
);

INSERT INTO security_questions (id, text_ms, text_en) VALUES
    (1, 'Apakah nama sekolah rendah pertama anda?', 'What was the name of your first primary school?'),
    (2, 'Di bandar manakah ibu anda dilahirkan?', 'In which town was your mother born?'),
    (3, 'Apakah nama haiwan peliharaan pertama anda?', 'What was the name of your first pet?'),
    (4, 'Apakah nama kampung atau taman tempat anda membesar?', 'What was the name of the village or neighbourhood where you grew up?'),
    (5, 'Apakah jenama kenderaan pertama anda?', 'What was the make of your first vehicle?'),
    (6, 'Apakah nama kawan baik anda semasa zaman kanak-kanak?', 'What was the name of your best friend in childhood?'),
    (7, 'Apakah makanan kegemaran anda semasa kecil?', 'What was your favourite food as a child?'),
    (8, 'Apakah nama jabatan pertama tempat anda bertugas?', 'What was the name of the first department you worked in?')
ON CONFLICT (id) DO NOTHING;

-- +goose Down
DROP TABLE user_security_answers;
DROP TABLE security_questions;
