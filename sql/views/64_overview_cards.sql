-- overview_cards: the Overview's cards as seen today; one row per card.
-- = overview_cards_asof(current_date). Columns: those of overview_cards_asof (63_overview_cards_asof.sql).
CREATE OR REPLACE VIEW overview_cards AS
SELECT * FROM overview_cards_asof(current_date);
