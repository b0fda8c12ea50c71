-- The parts of InvokeAI's database (invokeai.db) the importer reads: `images`, `boards`,
-- `board_images`, as created by InvokeAI's migration_1 (v3.4 baseline) plus the later `starred` and
-- `has_workflow` columns. Timestamps are SQLite STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW'): UTC text.
CREATE TABLE images (
    image_name TEXT NOT NULL PRIMARY KEY,
    image_origin TEXT NOT NULL,
    image_category TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    session_id TEXT,
    node_id TEXT,
    metadata TEXT,
    is_intermediate BOOLEAN DEFAULT FALSE,
    created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    deleted_at DATETIME,
    starred BOOLEAN DEFAULT FALSE,
    has_workflow BOOLEAN DEFAULT FALSE
);
CREATE INDEX idx_images_created_at ON images(created_at);
CREATE TABLE boards (
    board_id TEXT NOT NULL PRIMARY KEY,
    board_name TEXT NOT NULL,
    cover_image_name TEXT,
    created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    deleted_at DATETIME,
    FOREIGN KEY (cover_image_name) REFERENCES images (image_name) ON DELETE SET NULL
);
CREATE TABLE board_images (
    board_id TEXT NOT NULL,
    image_name TEXT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    updated_at DATETIME NOT NULL DEFAULT(STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')),
    deleted_at DATETIME,
    PRIMARY KEY (image_name),
    FOREIGN KEY (board_id) REFERENCES boards (board_id) ON DELETE CASCADE,
    FOREIGN KEY (image_name) REFERENCES images (image_name) ON DELETE CASCADE
);

INSERT INTO boards (board_id, board_name, created_at, updated_at) VALUES
    ('5e0c1b7a-3f2d-4c9e-8a61-b2d4f6e8a0c3', 'Forest studies', '2026-02-20 19:30:00.000', '2026-02-26 18:01:13.002');

INSERT INTO images (image_name, image_origin, image_category, width, height, session_id, node_id, metadata,
                    is_intermediate, created_at, updated_at, deleted_at, starred, has_workflow) VALUES
    ('2b7e4f1a-8c3d-4e5f-9a0b-1c2d3e4f5a6b.png', 'internal', 'general', 1216, 832,
     'c81f2e4d-7a9b-4c3e-8d1f-2a4b6c8e0f13', 'canvas_output:7c2e',
     '{"generation_mode": "sdxl_txt2img", "positive_prompt": "misty pine forest at dawn, soft fog", "negative_prompt": "blurry", "width": 1216, "height": 832, "seed": 1875460128, "rand_device": "cpu", "cfg_scale": 6.0, "cfg_rescale_multiplier": 0, "steps": 28, "scheduler": "dpmpp_2m_k", "model": {"key": "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "hash": "blake3:9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c", "name": "Juggernaut XL v9", "base": "sdxl", "type": "main"}, "loras": [], "app_version": "5.6.0"}',
     0, '2026-02-26 18:01:12.345', '2026-02-26 18:01:12.345', NULL, 1, 1),
    ('9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a.png', 'internal', 'general', 1216, 832,
     'c81f2e4d-7a9b-4c3e-8d1f-2a4b6c8e0f13', 'canvas_output:7c2e',
     '{"generation_mode": "sdxl_txt2img", "positive_prompt": "misty pine forest at dawn, soft fog", "negative_prompt": "blurry", "seed": 1875460129, "cfg_scale": 6.0, "steps": 28, "app_version": "5.6.0"}',
     0, '2026-02-26 18:01:12.871', '2026-02-26 18:01:12.871', NULL, 0, 1),
    ('4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d.png', 'internal', 'general', 1216, 832,
     'c81f2e4d-7a9b-4c3e-8d1f-2a4b6c8e0f13', 'l2i:41d0', NULL,
     1, '2026-02-26 18:01:11.990', '2026-02-26 18:01:11.990', NULL, 0, 0),
    ('e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9.png', 'external', 'user', 1024, 1024,
     NULL, NULL, NULL,
     0, '2026-02-26 17:58:03.002', '2026-02-26 17:58:03.002', NULL, 0, 0),
    ('1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9.png', 'internal', 'general', 1024, 1024,
     'd93a5b7c-1e2f-4a3b-9c4d-5e6f7a8b9c0d', 'canvas_output:7c2e', NULL,
     0, 'yesterday evening', '2026-02-26 18:20:00.000', NULL, 0, 0),
    ('7c6b5a4f-3e2d-4c1b-8a09-f8e7d6c5b4a3.png', 'internal', 'general', 1024, 1024,
     'd93a5b7c-1e2f-4a3b-9c4d-5e6f7a8b9c0d', 'canvas_output:7c2e', '{"positive_prompt": "a koi pond, unterminated',
     0, '2026-02-26 18:22:47.506', '2026-02-26 18:22:47.506', NULL, 0, 0),
    ('0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a.png', 'internal', 'general', 1024, 1024,
     'd93a5b7c-1e2f-4a3b-9c4d-5e6f7a8b9c0d', 'canvas_output:7c2e', NULL,
     0, '2026-02-26 18:25:00.000', '2026-02-26 18:30:00.000', '2026-02-26 18:30:00.000', 0, 0);

INSERT INTO board_images (board_id, image_name, created_at, updated_at) VALUES
    ('5e0c1b7a-3f2d-4c9e-8a61-b2d4f6e8a0c3', '2b7e4f1a-8c3d-4e5f-9a0b-1c2d3e4f5a6b.png', '2026-02-26 18:01:13.002', '2026-02-26 18:01:13.002');
