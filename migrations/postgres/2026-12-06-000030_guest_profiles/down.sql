DROP TABLE guest_profiles;
