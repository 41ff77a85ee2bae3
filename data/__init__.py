"""The embedded catalog snapshot and curated cards, shipped inside the wheel as `model_advisor_data`."""
