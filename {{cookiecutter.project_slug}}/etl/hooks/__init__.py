"""State hooks: what happens when a flow run fails or crashes."""
